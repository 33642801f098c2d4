import ArgumentParser
import Foundation
import PatchTrain

/// `patchtrain plan`: every byte a training step will hold, and the configuration that fits the budget.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Choose patch, micro-batch and accumulation that fit a RAM budget, and show where the bytes go.")

    @Option(name: .long, help: "Budget for the whole process's peak RSS (8G, 512M, 1.5GiB). Default: the memory available (cgroup limit or MemAvailable).")
    var ram: String?

    @Option(name: .long, help: "Dataset folder or manifest: the volume extent, channels and classes are read from it.")
    var data: String?

    @Option(name: .long, help: "Volume shape XxYxZ or XxYxZxC when there is no --data (default 240x240x160x1).")
    var shape: String?

    @Option(name: .long, help: "Number of classes (default: the dataset's, else 4).")
    var classes: Int?

    @Option(name: .long, help: "Effective batch: micro-batch × accumulation steps.")
    var batch: Int = 2

    @Option(name: .long, help: "Normalisation: batch or instance.")
    var norm: String = "batch"

    @Option(name: .long, help: "Fix the patch (XxYxZ, multiples of 16) instead of searching.")
    var patch: String?

    @Option(name: .long, help: "Prefetch queue depth.")
    var prefetch: Int = 2

    @Flag(name: .long, help: "Recompute each block's first convolution in the backward pass (activation checkpointing): less memory, more time.")
    var recompute = false

    @Flag(name: .long, help: "Print the plan as JSON on stdout.")
    var json = false

    @Option(name: .long, help: "Write the plan to this file (input of `fit --plan`).")
    var out: String?

    func validate() throws {
        if let ram, ByteCount.parse(ram) == nil { throw ValidationError("--ram '\(ram)' is not a size (examples: 8G, 512M, 1.5GiB)") }
        if let shape, VolumeShape(parsing: shape) == nil { throw ValidationError("--shape '\(shape)' is not XxYxZ or XxYxZxC") }
        if data != nil && shape != nil { throw ValidationError("give --data or --shape, not both") }
        if let patch {
            guard let p = Extent3(parsing: patch), (0..<3).allSatisfy({ p[$0] % 16 == 0 }) else {
                throw ValidationError("--patch '\(patch)' must be XxYxZ with every edge a multiple of 16")
            }
        }
        guard NormalizationKind(rawValue: norm) != nil else { throw ValidationError("--norm must be batch or instance") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard prefetch >= 1 else { throw ValidationError("--prefetch must be at least 1") }
        if let classes, classes < 2 || classes > 256 { throw ValidationError("--classes must be 2...256") }
    }

    func run() throws {
        let (volume, channels, dataClasses) = try volumeDescription()
        let budget = try TrainingBudget(ram: ram)
        let configuration = UNetConfiguration(inputChannels: channels, classes: classes ?? dataClasses ?? 4,
                                              normalization: NormalizationKind(rawValue: norm)!)
        let planner = try MemoryPlanner.measured(configuration: configuration, volume: volume, effectiveBatch: batch,
                                                 prefetchDepth: prefetch)
        let fixedPatch = patch.flatMap { Extent3(parsing: $0) }
        switch planner.choose(budget: budget.bytes, patch: fixedPatch, recomputation: recompute) {
        case .tooSmall(let smallest):
            throw budget.tooSmall(smallest, planner: planner, patch: fixedPatch, recompute: recompute)
        case .fits(let chosen):
            // The lever: what recomputation would buy within the same budget.
            var lever: MemoryPlan?
            if !recompute, fixedPatch == nil, case .fits(let alternative) = planner.choose(budget: budget.bytes, recomputation: true),
               alternative.patch.volume * alternative.microBatch > chosen.patch.volume * chosen.microBatch {
                lever = alternative
            }
            let report = PlanReport(plan: chosen, planner: planner, budgetSource: budget.source,
                                    gflops: ThroughputProbe.convolutionGFLOPS(), lever: lever)
            if let out { try AtomicFile.write(Array(try report.planJSON()), to: out) }
            if json {
                print(String(decoding: try report.json(), as: UTF8.self))
            } else {
                print(report.text(), terminator: "")
            }
        }
    }

    private func volumeDescription() throws -> (Extent3, Int, Int?) {
        let geometry: DatasetGeometry
        if let data {
            let dataset = try Dataset(path: data, classes: classes)
            geometry = try DatasetGeometry(cases: try dataset.openCases(), dataset: dataset)
        } else {
            geometry = DatasetGeometry(shape: VolumeShape(parsing: shape ?? "240x240x160x1")!)
        }
        return (geometry.volume, geometry.channels, geometry.classes)
    }
}
