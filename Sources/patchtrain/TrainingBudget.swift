import PatchTrain

/// The budget a command plans for: `--ram`, or the memory available to the process.
struct TrainingBudget {
    let bytes: Int
    /// Where the figure came from (`--ram 8G`, `MemAvailable`, `cgroup memory.max`), for reports and errors.
    let source: String

    init(ram: String?) throws {
        if let ram, let bytes = ByteCount.parse(ram) {
            self.bytes = bytes
            source = "--ram \(ram)"
        } else if let available = AvailableMemory.read() {
            bytes = available.bytes
            source = available.source
        } else {
            throw RuntimeFailure("cannot read the available memory; give --ram")
        }
    }

    /// The one-line error when not even the smallest plan fits: the minimum, and what recomputation would change.
    func tooSmall(_ smallest: MemoryPlan, planner: MemoryPlanner, patch: Extent3?, recompute: Bool) -> InputError {
        var problem = "budget \(ByteCount.format(bytes)) is too small: the smallest plan (patch \(smallest.patch), micro-batch 1\(recompute ? ", recomputation" : "")) needs \(ByteCount.format(smallest.predictedPeakBytes))"
        if !recompute {
            switch planner.choose(budget: bytes, patch: patch, recomputation: true) {
            case .fits(let lever):
                problem += "; with --recompute, patch \(lever.patch) fits (+\(RecomputationCost.percent(lever, planner)) compute per step)"
            case .tooSmall(let leverSmallest):
                problem += " (\(ByteCount.format(leverSmallest.predictedPeakBytes)) with --recompute)"
            }
        }
        return InputError(source, problem)
    }
}
