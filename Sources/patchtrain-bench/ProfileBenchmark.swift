import Foundation
import PatchTrain

/// `profile`: where a training step's time goes. Trains a plan's configuration for a few steps with every operation
/// timed (`StepProfile`) and prints the per-operation and per-kind tables, with the convolutions' effective rate
/// (their arithmetic ÷ the whole step's time) beside `cblas_sgemm` 2048² measured in the same process.
enum ProfileBenchmark: Benchmark {
    static let name = "profile"
    static let summary = "time, GFLOP/s or GB/s and share of every operation of a training step, beside sgemm 2048²"
    static let usage = "--data DIR [--patch XxYxZ] [--batch 1] [--ram 16G] [--steps 2] [--warmup 1] [--seed 0]"

    static func run(_ options: BenchOptions) throws -> Bool {
        try options.checkOnly(["data", "ram", "steps", "warmup", "batch", "patch", "seed"])
        let data = try options.string("data")
        guard let budget = ByteCount.parse(options.string("ram", default: "16G")) else {
            throw BenchOptions.UsageError(message: "--ram must be a size such as 16G")
        }
        let steps = try options.int("steps", default: 2)
        let warmup = try options.int("warmup", default: 1, atLeast: 0)
        let batch = try options.int("batch", default: 1)
        let seed = UInt64(try options.int("seed", default: 0, atLeast: 0))
        let patchText = options.string("patch", default: "")
        let fixedPatch = patchText.isEmpty ? nil : Extent3(parsing: patchText)
        if !patchText.isEmpty && fixedPatch == nil {
            throw BenchOptions.UsageError(message: "--patch must be XxYxZ or one edge (128), got '\(patchText)'")
        }
        let dataset = try Dataset(path: data)
        let cases = try dataset.openCases()
        let configuration = UNetConfiguration(inputChannels: cases[0].image.shape.channels,
                                              classes: dataset.classes ?? cases[0].mask.oneHotClasses ?? 4)
        let planner = try MemoryPlanner.measured(configuration: configuration, volume: cases[0].image.shape.spatial,
                                                 effectiveBatch: batch)
        guard case .fits(let plan) = planner.choose(budget: budget, patch: fixedPatch, recomputation: false) else {
            throw InputError(data, "budget \(ByteCount.format(budget)) is below the smallest plan")
        }
        print("plan: patch \(plan.patch), micro-batch \(plan.microBatch), accumulation \(plan.accumulationSteps)")
        let trainer = try Trainer(plan: plan, cases: cases, seed: seed)
        for _ in 0..<warmup { _ = try trainer.step() }
        // sgemm is measured before and after every step and the best of each side is compared, as the conv benchmark
        // does: on a shared VM a neighbour's burst slows any single timing by up to 1.5×, and best-of on both sides
        // is what keeps the ratio repeatable.
        let profile = StepProfile()
        trainer.profile = profile
        var sgemmTimings = [sgemmGFLOPS(size: 2048)]
        var stepTimings: [Double] = []
        for _ in 0..<steps {
            let before = profile.stepSeconds
            _ = try trainer.step()
            stepTimings.append(profile.stepSeconds - before)
            sgemmTimings.append(sgemmGFLOPS(size: 2048))
        }
        trainer.stop()
        print(profile.formatted())
        let convolutionWork: Set<StepWork> = [.convolutionForward, .convolutionInputGradient, .convolutionWeightGradient]
        let convolutionFlops = profile.entries.filter { convolutionWork.contains($0.work) }
            .reduce(0) { $0 + $1.flops * Double($1.calls) } / Double(profile.steps)
        let bestStep = stepTimings.min() ?? .nan, sgemm = sgemmTimings.max() ?? .nan
        let effective = convolutionFlops / bestStep / 1e9
        func list(_ values: [Double], _ format: String) -> String {
            values.map { String(format: format, $0) }.joined(separator: ", ")
        }
        print("steps \(list(stepTimings, "%.3f")) s; sgemm 2048² around them \(list(sgemmTimings, "%.1f")) GFLOP/s")
        print(String(format: "3×3×3 convolution arithmetic %.3f TFLOP per step ÷ best step %.3f s = %.1f GFLOP/s "
                     + "effective; best sgemm 2048² %.1f GFLOP/s: %.1f%%",
                     convolutionFlops / 1e12, bestStep, effective, sgemm, 100 * effective / sgemm))
        return true
    }
}
