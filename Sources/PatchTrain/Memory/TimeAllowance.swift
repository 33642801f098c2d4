/// What a time budget (`--time`) allows the planner. On a 2-core CPU the number of optimizer updates decides
/// whether a run learns at all, so a patch is allowed only when a run of this length still makes
/// `minimumUpdates` steps of it: the planner takes the largest patch that fits the memory budget *and* this
/// allowance. Time never shrinks the patch below `smallestPatchVoxels`: under a very short budget the run gets
/// the largest patch of at most 64³ that fits the memory budget, and fewer updates.
///
/// The figures were chosen by measurement (docs/benchmarks.md, "Defaults that learn"): on the synthetic
/// 240×240×160 set a constant 64³ patch passed a mean foreground Dice of 0.90 between its 157th and 236th update
/// and reached 0.945 after 427, while a run ending on whole-volume patches made 12 updates in 20 minutes and
/// learned nothing. A curriculum's earlier stages are faster than its final one, so a run whose final patch is
/// allowed makes at least `minimumUpdates` updates.
public struct TimeAllowance: Sendable, Hashable {
    /// The run's wall-clock budget, seconds.
    public var seconds: Double
    /// The training throughput expected on this machine, floating-point operations per second.
    public var flopsPerSecond: Double

    public static let minimumUpdates = 400.0
    /// 64³: a 4³ bottleneck. Smaller patches leave the deepest level's instance statistics a handful of voxels
    /// and the network too little context to tell the classes apart.
    public static let smallestPatchVoxels = CurriculumRule.startVoxels
    /// The share of the budget that trains: start-up, the validations and the checkpoints take the rest (the
    /// 64³ run's four validations over two whole volumes took about a quarter of its 20 minutes).
    public static let trainingShare = 0.7

    public init(seconds: Double, flopsPerSecond: Double) {
        self.seconds = seconds
        self.flopsPerSecond = flopsPerSecond
    }

    /// The longest optimizer step the allowance admits, seconds.
    public var longestStepSeconds: Double { seconds * TimeAllowance.trainingShare / TimeAllowance.minimumUpdates }

    /// Seconds of one optimizer step of `plan` (all its micro-batches) at the expected throughput.
    public func stepSeconds(_ plan: MemoryPlan) -> Double {
        plan.flopsPerStep / max(flopsPerSecond, 1)
    }

    public func allows(_ plan: MemoryPlan) -> Bool {
        plan.patch.volume <= TimeAllowance.smallestPatchVoxels || stepSeconds(plan) <= longestStepSeconds
    }
}
