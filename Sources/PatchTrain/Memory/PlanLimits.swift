/// The training configurations a plan may describe. `plan.json` is read back by `fit --plan` and `fit --resume`,
/// and a user may edit it: every field is range-checked as it is decoded, so a zero micro-batch or an absurd depth is
/// an error naming the field, never a trap or an allocation of petabytes. The planner's own entry points use the
/// same ranges for their requests.
public enum PlanLimits {
    /// Each edge of the data's volume (NIfTI's 16-bit dimensions allow 32767).
    public static let volumeEdge = 1...65536
    /// Each edge of a patch or window.
    public static let patchEdge = 1...4096
    public static let microBatch = 1...1024
    public static let accumulationSteps = 1...65536
    public static let effectiveBatch = 1...65536
    public static let prefetchDepth = 1...64
    /// Ranks of a data-parallel run (`MPI_Allreduce` counts are 32-bit, and no cluster of this kind is larger).
    public static let ranks = 1...65536
    /// Stages of a patch-size curriculum.
    public static let stages = 1...16
    /// Patch voxels × micro-batch: with up to 2 × 1024 channels and 27 taps per tensor, every byte count of the
    /// step then stays far inside `Int` (2^34 · 2^11 · 2^5 · 4 bytes = 2^52).
    public static let voxelsPerMicroBatch = 1 << 34

    /// Throws `FieldProblem` unless every edge of `extent` is in `range` (and, for a patch, a multiple of `multiple`).
    public static func check(_ field: String, _ extent: Extent3, in range: ClosedRange<Int>, multiple: Int = 1) throws {
        for axis in 0..<3 {
            try FieldProblem.check("\(field).\(["x", "y", "z"][axis])", extent[axis], in: range)
            guard extent[axis] % multiple == 0 else {
                throw FieldProblem(field, "\(extent) is not a multiple of \(multiple) on every edge (one 2× pooling per level)")
            }
        }
    }

    /// The checks of a planner request: the network, the data's volume, the batch and the prefetch depth.
    public static func checkRequest(configuration: UNetConfiguration, volume: Extent3, effectiveBatch: Int,
                                    prefetchDepth: Int) throws {
        try configuration.checkLimits(fieldPrefix: "configuration.")
        try check("volume", volume, in: volumeEdge)
        try FieldProblem.check("effectiveBatch", effectiveBatch, in: PlanLimits.effectiveBatch)
        try FieldProblem.check("prefetchDepth", prefetchDepth, in: PlanLimits.prefetchDepth)
    }
}

extension MemoryPlan {
    /// Throws `FieldProblem` for the first field out of range, or byte counts that overflow when summed.
    public func checkLimits() throws {
        // The factors before their product (`effectiveBatch` would overflow on huge ones).
        try FieldProblem.check("microBatch", microBatch, in: PlanLimits.microBatch)
        try FieldProblem.check("accumulationSteps", accumulationSteps, in: PlanLimits.accumulationSteps)
        try PlanLimits.checkRequest(configuration: configuration, volume: volume, effectiveBatch: effectiveBatch,
                                    prefetchDepth: prefetchDepth)
        try PlanLimits.check("patch", patch, in: PlanLimits.patchEdge, multiple: configuration.patchMultiple)
        if let validationVolume { try PlanLimits.check("validationVolume", validationVolume, in: PlanLimits.volumeEdge) }
        if let ranks { try FieldProblem.check("ranks", ranks, in: PlanLimits.ranks) }
        guard let voxels = Checked.product([patch.x, patch.y, patch.z, microBatch]), voxels <= PlanLimits.voxelsPerMicroBatch else {
            throw FieldProblem("patch", "\(patch) × micro-batch \(microBatch) is more than \(PlanLimits.voxelsPerMicroBatch) voxels")
        }
        guard budgetBytes > 0 else { throw FieldProblem("budgetBytes", "is \(budgetBytes), must be positive") }
        let parts: [(String, Int)] = [
            ("fixed.runtimeBytes", fixed.runtimeBytes), ("persistent.weightBytes", persistent.weightBytes),
            ("persistent.gradientBytes", persistent.gradientBytes), ("persistent.optimizerBytes", persistent.optimizerBytes),
            ("persistent.runningStatisticsBytes", persistent.runningStatisticsBytes),
            ("persistent.checkpointScratchBytes", persistent.checkpointScratchBytes), ("data.patchPool", data.patchPool),
            ("data.samplerScratch", data.samplerScratch), ("data.foregroundIndexes", data.foregroundIndexes),
            ("data.mappedPages", data.mappedPages), ("data.packReading", data.packReading ?? 0), ("arena.bytes", arena.bytes), ("validationBytes", validationBytes ?? 0),
            ("communicationBytes", communicationBytes ?? 0),
        ] + (stages ?? []).enumerated().flatMap { [("stages[\($0)].arenaBytes", $1.arenaBytes), ("stages[\($0)].dataBytes", $1.dataBytes)] }
        var total = 0
        for (field, bytes) in parts {
            guard bytes >= 0 else { throw FieldProblem(field, "is \(bytes), must not be negative") }
            guard let sum = Checked.sum(total, bytes) else { throw FieldProblem(field, "is \(bytes): the plan's bytes overflow") }
            total = sum
        }
        guard flopsPerMicroStep.isFinite, flopsPerMicroStep >= 0 else {
            throw FieldProblem("flopsPerMicroStep", "is \(flopsPerMicroStep), must be a finite count")
        }
        if let stages { try checkStages(stages) }
    }

    /// A curriculum's stages: at most `PlanLimits.stages`, each in range, patches growing, shares summing to 1, and
    /// the last stage this plan's own patch and batch.
    private func checkStages(_ stages: [CurriculumStage]) throws {
        try FieldProblem.check("stages.count", stages.count, in: PlanLimits.stages)
        for (index, stage) in stages.enumerated() {
            try stage.checkLimits(field: "stages[\(index)]", multiple: configuration.patchMultiple)
            if index > 0, !(0..<3).allSatisfy({ stage.patch[$0] >= stages[index - 1].patch[$0] }) || stage.patch == stages[index - 1].patch {
                throw FieldProblem("stages[\(index)].patch", "\(stage.patch) does not grow from \(stages[index - 1].patch)")
            }
        }
        let total = stages.reduce(0) { $0 + $1.share }
        guard abs(total - 1) < 1e-6 else { throw FieldProblem("stages", "shares sum to \(total), not 1") }
        let last = stages[stages.count - 1]
        guard last.patch == patch, last.microBatch == microBatch, last.accumulationSteps == accumulationSteps else {
            throw FieldProblem("stages", "the last stage (patch \(last.patch), \(last.microBatch) × \(last.accumulationSteps)) is not the plan's patch \(patch), \(microBatch) × \(accumulationSteps)")
        }
    }
}
