import Foundation
import PatchTrain

/// The plan a new `fit` run trains under: read from `--plan` and checked against the data, or made here for the
/// budget (and the time, under `--time`) with the planning options.
enum FitPlanChoice {
    static func choose(planFile: String?, budget: BudgetOptions, planning: PlanningOptions, time: TimeBudget?,
                       geometry: DatasetGeometry, communicator: any Communicator) throws -> MemoryPlan {
        let ranks = communicator.size
        if let planFile { return try read(planFile, geometry: geometry) }
        let budget = try budget.budget()
        let configuration = UNetConfiguration(inputChannels: geometry.channels, classes: geometry.classes ?? 4,
                                              normalization: planning.normalization)
        try RankPlanning.validate(ranks: ranks, batch: planning.batch)
        let planner = try RankPlanning.planner(configuration: configuration, volume: geometry.volume, planning: planning, ranks: ranks,
                                               packReadingBytes: geometry.packReadingBytes)
        if let patch = planning.patch { try configuration.checkPatch(patch, option: "--patch") }
        let allowance = try time.map { TimeAllowance(seconds: $0.seconds, flopsPerSecond: try ThroughputProbe.trainingFLOPS(communicator: communicator)) }
        switch planning.choose(planner, budget: budget.bytes, time: allowance) {
        case .fits(let plan):
            return plan
        case .tooSmall(let smallest):
            throw budget.tooSmall(smallest, planner: planner, patch: planning.patch, recompute: planning.recompute)
        }
    }

    private static func read(_ path: String, geometry: DatasetGeometry) throws -> MemoryPlan {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw InputError(path, "cannot read") }
        guard let plan = try? JSONDecoder().decode(MemoryPlan.self, from: data) else {
            throw InputError(path, "not a plan written by `patchtrain plan --out`")
        }
        guard plan.configuration.inputChannels == geometry.channels else {
            throw InputError(path, "planned for \(plan.configuration.inputChannels) image channel(s), the data has \(geometry.channels)")
        }
        if let classes = geometry.classes, classes != plan.configuration.classes {
            throw InputError(path, "planned for \(plan.configuration.classes) classes, the data has \(classes)")
        }
        if let needed = geometry.packReadingBytes, (plan.data.packReading ?? 0) < needed {
            throw InputError(path, "does not count the \(needed) bytes of the pack's chunk caches and table; plan again with --data on the pack")
        }
        return plan
    }
}
