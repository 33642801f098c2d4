import Foundation

/// The peak RSS a run may reach: `--ram`, or the memory available to the process. Its errors are the budget's
/// one voice for every command: not even the smallest plan fits (bad input, exit 2), or a run broke the promise
/// (a runtime failure, exit 1).
public struct MemoryBudget: Sendable {
    public let bytes: Int
    /// Where the figure came from (`--ram 8G`, `MemAvailable`, `cgroup memory.max`), for reports and errors.
    public let source: String

    public init(bytes: Int, source: String) {
        self.bytes = bytes
        self.source = source
    }

    /// `ram` as the user wrote it (`8G`), or the memory available when nil.
    public init(ram: String?) throws {
        if let ram, let bytes = ByteCount.parse(ram) {
            self.init(bytes: bytes, source: "--ram \(ram)")
        } else if let available = AvailableMemory.read() {
            self.init(bytes: available.bytes, source: available.source)
        } else {
            throw RuntimeFailure("cannot read the available memory; give --ram")
        }
    }

    /// Not even the smallest training plan fits: the minimum, and what recomputation would change.
    public func tooSmall(_ smallest: MemoryPlan, planner: MemoryPlanner, patch: Extent3?, recompute: Bool) -> InputError {
        var problem = "budget \(ByteCount.format(bytes)) is too small: the smallest plan (patch \(smallest.patch), micro-batch 1\(recompute ? ", recomputation" : "")) needs \(ByteCount.format(smallest.predictedPeakBytes))"
        if !recompute {
            switch planner.choose(budget: bytes, patch: patch, recomputation: true) {
            case .fits(let lever):
                problem += "; with --recompute, patch \(lever.patch) fits (+\(planner.recomputationCost(of: lever)) compute per step)"
            case .tooSmall(let leverSmallest):
                problem += " (\(ByteCount.format(leverSmallest.predictedPeakBytes)) with --recompute)"
            }
        }
        return InputError(source, problem)
    }

    /// Not even the smallest inference window fits.
    public func tooSmall(_ smallest: InferencePlan) -> InputError {
        InputError(source, "budget \(ByteCount.format(bytes)) is too small: inference with window \(smallest.window) needs \(ByteCount.format(smallest.predictedPeakBytes))")
    }

    /// The measured peak went over the budget a plan promised to keep; `moment` says when (`at step 12`).
    public static func breach(peak: Int, budget: Int, predicted: Int, moment: String) -> RuntimeFailure {
        RuntimeFailure("peak RSS \(ByteCount.format(peak)) went over the budget \(ByteCount.format(budget)) \(moment) (predicted \(ByteCount.format(predicted)))")
    }
}

extension MemoryPlanner {
    /// What recomputation costs in `plan`: its extra FLOPs against the same configuration without it (`17%`).
    public func recomputationCost(of plan: MemoryPlan) -> String {
        let without = self.plan(patch: plan.patch, microBatch: plan.microBatch, budget: plan.budgetBytes, recomputation: false)
        return String(format: "%.0f%%", (plan.flopsPerMicroStep / without.flopsPerMicroStep - 1) * 100)
    }
}
