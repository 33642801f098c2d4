import Foundation
import PatchTrain

/// `step`: plans for a budget, trains that plan's configuration for a few optimizer steps in this (fresh)
/// process, and compares the measured peak RSS (VmHWM) with the prediction. Run once per budget, each in its
/// own process, so one run's peak does not hide the next's.
enum StepMemoryBenchmark: Benchmark {
    static let name = "step"
    static let summary = "predicted vs measured peak RSS of training steps under a planned budget"
    static let usage = "--data DIR --ram 4G [--steps 3] [--warmup 0] [--batch 2] [--patch XxYxZ] [--seed 0] [--recompute 0|1]"

    static func run(_ options: BenchOptions) throws -> Bool {
        try options.checkOnly(["data", "ram", "steps", "warmup", "batch", "patch", "seed", "recompute"])
        let recompute = try options.int("recompute", default: 0, atLeast: 0) != 0
        let data = try options.string("data")
        guard let budget = ByteCount.parse(try options.string("ram")) else {
            throw BenchOptions.UsageError(message: "--ram must be a size such as 4G")
        }
        let steps = try options.int("steps", default: 3)
        // Untimed steps first, as the peer benchmarks do (first-touch page faults of the arena, OpenBLAS start-up);
        // they still count towards the peak RSS, which is the whole process's.
        let warmup = try options.int("warmup", default: 0, atLeast: 0)
        let batch = try options.int("batch", default: 2)
        let seed = UInt64(try options.int("seed", default: 0, atLeast: 0))
        let patchText = options.string("patch", default: "")
        let fixedPatch = patchText.isEmpty ? nil : Extent3(parsing: patchText)
        // A typo must not fall back to the searched patch: a side-by-side comparison would then compare other shapes.
        if !patchText.isEmpty, fixedPatch.map({ p in (0..<3).allSatisfy { p[$0] % 16 == 0 } }) != true {
            throw BenchOptions.UsageError(message: "--patch must be XxYxZ or one edge (128), every edge a multiple of 16, got '\(patchText)'")
        }

        let dataset = try Dataset(path: data)
        let cases = try dataset.openCases()
        let volume = cases[0].image.shape.spatial
        if let fixedPatch, (0..<3).contains(where: { fixedPatch[$0] > volume[$0] }) {
            throw InputError(data, "patch \(fixedPatch) does not fit in the volume \(volume)")
        }
        let configuration = UNetConfiguration(inputChannels: cases[0].image.shape.channels,
                                              classes: dataset.classes ?? cases[0].mask.oneHotClasses ?? 4)
        let planner = try MemoryPlanner.measured(configuration: configuration, volume: volume,
                                                 effectiveBatch: batch)
        guard case .fits(let plan) = planner.choose(budget: budget, patch: fixedPatch, recomputation: recompute) else {
            print("budget \(ByteCount.format(budget)) is below the smallest plan")
            return false
        }
        print("plan: patch \(plan.patch), micro-batch \(plan.microBatch), accumulation \(plan.accumulationSteps)\(recompute ? ", recomputation" : ""); predicted peak \(ByteCount.format(plan.predictedPeakBytes))")
        let trainer = try Trainer(plan: plan, cases: cases, seed: seed)
        var times: [Double] = []
        for s in 0..<(warmup + steps) {
            let start = Date()
            let loss = try trainer.step()
            let seconds = Date().timeIntervalSince(start)
            if s >= warmup { times.append(seconds) }
            print(String(format: "step %d%@: loss %.4f, %.1f s, RSS %@, peak %@", s + 1, s < warmup ? " (warm-up)" : "", loss, seconds,
                         ByteCount.format(ProcessMemory.residentBytes), ByteCount.format(ProcessMemory.peakResidentBytes)))
        }
        trainer.stop()
        let measured = ProcessMemory.peakResidentBytes
        let error = Double(plan.predictedPeakBytes - measured) / Double(measured)
        let withinFivePercent = abs(error) <= 0.05
        let underBudget = measured <= budget
        print(String(format: "RESULT {\"budget\": %ld, \"patch\": \"%@\", \"microBatch\": %ld, \"accumulation\": %ld, \"recompute\": %@, \"predicted\": %ld, \"measured\": %ld, \"error\": %.4f, \"warmup\": %ld, \"stepSeconds\": [%@], \"medianStepSeconds\": %.3f}",
                     budget, plan.patch.description, plan.microBatch, plan.accumulationSteps, recompute ? "true" : "false",
                     plan.predictedPeakBytes, measured, error, warmup, times.map { String(format: "%.3f", $0) }.joined(separator: ", "),
                     times.sorted()[times.count / 2]))
        print("\(withinFivePercent && underBudget ? "PASS" : "FAIL"): predicted \(ByteCount.format(plan.predictedPeakBytes)), measured \(ByteCount.format(measured)) (\(String(format: "%+.1f", error * 100))% of measured), budget \(ByteCount.format(budget))")
        return withinFivePercent && underBudget
    }
}
