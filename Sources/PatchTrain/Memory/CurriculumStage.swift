/// One stage of a patch-size curriculum: the patch it trains on, its own micro-batch × accumulation, the share of
/// the run it lasts, and what its step holds (counted by the same layer graph the executor runs).
public struct CurriculumStage: Hashable, Codable, Sendable {
    public var patch: Extent3
    public var microBatch: Int
    public var accumulationSteps: Int
    /// The share of the run this stage lasts: of its time under `fit --time`, of its steps otherwise.
    public var share: Double
    /// The arena this stage's step needs (the run's arena is the largest of the stages').
    public var arenaBytes: Int
    /// The data pipeline this stage holds (prefetch pool, sampler scratch, indexes, mapped pages).
    public var dataBytes: Int
    /// Floating-point operations of one micro-batch step of this stage.
    public var flopsPerMicroStep: Double

    public var effectiveBatch: Int { microBatch * accumulationSteps }
    /// Floating-point operations of one optimizer step of this stage.
    public var flopsPerStep: Double { flopsPerMicroStep * Double(accumulationSteps) }

    public init(patch: Extent3, microBatch: Int, accumulationSteps: Int, share: Double, arenaBytes: Int, dataBytes: Int,
                flopsPerMicroStep: Double) {
        self.patch = patch
        self.microBatch = microBatch
        self.accumulationSteps = accumulationSteps
        self.share = share
        self.arenaBytes = arenaBytes
        self.dataBytes = dataBytes
        self.flopsPerMicroStep = flopsPerMicroStep
    }

    /// The stage of a single plan: its patch and batch for the whole run.
    public init(plan: MemoryPlan, share: Double) {
        self.init(patch: plan.patch, microBatch: plan.microBatch, accumulationSteps: plan.accumulationSteps, share: share,
                  arenaBytes: plan.arena.bytes, dataBytes: plan.data.total, flopsPerMicroStep: plan.flopsPerMicroStep)
    }

    /// Throws `FieldProblem` for the first field out of range (`plan.json` may have been edited).
    func checkLimits(field: String, multiple: Int) throws {
        try PlanLimits.check("\(field).patch", patch, in: PlanLimits.patchEdge, multiple: multiple)
        try FieldProblem.check("\(field).microBatch", microBatch, in: PlanLimits.microBatch)
        try FieldProblem.check("\(field).accumulationSteps", accumulationSteps, in: PlanLimits.accumulationSteps)
        guard let voxels = Checked.product([patch.x, patch.y, patch.z, microBatch]), voxels <= PlanLimits.voxelsPerMicroBatch else {
            throw FieldProblem("\(field).patch", "\(patch) × micro-batch \(microBatch) is more than \(PlanLimits.voxelsPerMicroBatch) voxels")
        }
        guard share.isFinite, share > 0, share <= 1 else { throw FieldProblem("\(field).share", "is \(share), must be in (0, 1]") }
        guard arenaBytes >= 0, dataBytes >= 0 else { throw FieldProblem(field, "has a negative byte count") }
        guard flopsPerMicroStep.isFinite, flopsPerMicroStep >= 0 else {
            throw FieldProblem("\(field).flopsPerMicroStep", "is \(flopsPerMicroStep), must be a finite count")
        }
    }
}
