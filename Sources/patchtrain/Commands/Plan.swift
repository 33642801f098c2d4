import ArgumentParser
import Foundation
import PatchTrain

/// `patchtrain plan`: every byte a training step will hold, and the configuration that fits the budget.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Choose patch, micro-batch and accumulation that fit a RAM budget, and show where the bytes go.")

    @Option(name: .long, help: "Dataset folder or manifest: the volume extent, channels and classes are read from it.")
    var data: String?

    @Option(name: .long, help: ArgumentHelp("Volume shape XxYxZ or XxYxZxC when there is no --data (default 240x240x160x1).",
                                            valueName: "shape"))
    var shape: VolumeShape?

    @Option(name: .long, help: "Number of classes (default: the dataset's, else 4).")
    var classes: Int?

    @Option(name: .long, help: "Prefetch queue depth.")
    var prefetch: Int = 2

    @Option(name: .long, help: "Plan each process of a data-parallel run of N ranks (`mpirun -np N patchtrain fit`).")
    var ranks: Int = 1

    @Option(name: .long, help: ArgumentHelp("Plan for a run of this length (`fit --time`): the patch must also leave the run enough updates.",
                                            valueName: "duration"))
    var time: TimeBudget?

    @Option(name: .long, help: "Write the plan to this file (input of `fit --plan`).")
    var out: String?

    @OptionGroup(title: "Budget") var budget: BudgetOptions
    @OptionGroup(title: "Planning") var planning: PlanningOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if data != nil && shape != nil { throw ValidationError("give --data or --shape, not both") }
        try OptionRange.check("--prefetch", prefetch, in: PlanLimits.prefetchDepth)
        try RankPlanning.validate(ranks: ranks, batch: planning.batch)
        if let classes, classes < 2 || classes > 256 { throw ValidationError("--classes must be 2...256") }
        var isFolder: ObjCBool = false
        if let out, FileManager.default.fileExists(atPath: out, isDirectory: &isFolder), isFolder.boolValue {
            throw ValidationError("--out \(out) is a folder; the plan is one file (e.g. \(out)/plan.json)")
        }
    }

    func run() throws {
        // Under `mpirun -np 1 patchtrain plan --ranks N`, MPI is initialised before the baseline is measured, so the
        // plan counts the MPI library's resident memory as a rank holds it.
        _ = try World.join()
        let geometry = try DatasetGeometry(data: data, shape: shape, classes: classes)
        let budget = try budget.budget()
        let configuration = UNetConfiguration(inputChannels: geometry.channels, classes: classes ?? geometry.classes ?? 4,
                                              normalization: planning.normalization)
        if let patch = planning.patch { try configuration.checkPatch(patch, option: "--patch") }
        let planner = try RankPlanning.planner(configuration: configuration, volume: geometry.volume, planning: planning,
                                               ranks: ranks, prefetchDepth: prefetch, packReadingBytes: geometry.packReadingBytes)
        let trainingFLOPS = try ThroughputProbe.trainingFLOPS()
        let allowance = time.map { TimeAllowance(seconds: $0.seconds, flopsPerSecond: trainingFLOPS) }
        switch planning.choose(planner, budget: budget.bytes, time: allowance) {
        case .tooSmall(let smallest):
            throw budget.tooSmall(smallest, planner: planner, patch: planning.patch, recompute: planning.recompute)
        case .fits(let chosen):
            let report = PlanReport(plan: chosen, planner: planner, budgetSource: budget.source, trainingFLOPS: trainingFLOPS,
                                    time: allowance, patchFixed: planning.patch != nil)
            if let out { try AtomicFile.write(Array(try JSONOutput.data(chosen)), to: out) }
            try output.print(report)
        }
    }
}
