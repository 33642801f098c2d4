/// Chooses the training configuration that fits a budget, from the bytes each one would hold.
///
/// Order of choices: the largest patch (see `PatchCandidates`) at micro-batch 1, then the largest
/// micro-batch that divides the effective batch, then the accumulation steps that make up the rest.
public struct MemoryPlanner: Sendable {
    public var configuration: UNetConfiguration
    public var volume: Extent3
    public var effectiveBatch: Int
    public var prefetchDepth: Int
    public var fixed: FixedMemory
    /// Data-parallel ranks, each planned on its own at `effectiveBatch` (the run's batch is `ranks` times it).
    public var ranks = 1
    /// Each rank's communication buffers (`DataParallel.communicationBytes`, which lives above this layer).
    public var communicationBytes = 0
    /// Bytes reading the dataset holds besides patches and pages: a pack's chunk caches and table; nil for files.
    public var packReadingBytes: Int?
    /// Scratch bytes of each operation; the kernels own the formula.
    public var workspaceBytes: @Sendable (OperationKind, LayerGraph) -> Int

    public init(configuration: UNetConfiguration, volume: Extent3, effectiveBatch: Int = 2, prefetchDepth: Int = 2,
                fixed: FixedMemory,
                workspaceBytes: @escaping @Sendable (OperationKind, LayerGraph) -> Int) {
        self.configuration = configuration
        self.volume = volume
        self.effectiveBatch = effectiveBatch
        self.prefetchDepth = prefetchDepth
        self.fixed = fixed
        self.workspaceBytes = workspaceBytes
    }

    /// The plan of one configuration, whether or not it fits `budget`.
    public func plan(patch: Extent3, microBatch: Int, budget: Int, recomputation: Bool = false) -> MemoryPlan {
        let graph = LayerGraph(configuration: configuration, patch: patch, microBatch: microBatch, recomputation: recomputation,
                               workspaceBytes: workspaceBytes)
        let layout = ArenaLayout(graph: graph)
        let accumulationSteps = (effectiveBatch + microBatch - 1) / microBatch
        var plan = MemoryPlan(configuration: configuration, volume: volume, patch: patch, microBatch: microBatch,
                          accumulationSteps: accumulationSteps, prefetchDepth: prefetchDepth,
                          recomputation: recomputation, budgetBytes: budget, fixed: fixed,
                          persistent: PersistentMemory(graph: graph, accumulationSteps: accumulationSteps),
                          data: DataPipelineMemory.count(depth: prefetchDepth, microBatch: microBatch, patch: patch,
                                                         channels: configuration.inputChannels, maskClasses: configuration.classes,
                                                         packReading: packReadingBytes),
                          arena: ArenaMemory(graph: graph, layout: layout),
                          flopsPerMicroStep: graph.operations.reduce(0) { $0 + $1.flops })
        plan.validationBytes = ValidationMemory(plan: plan).extraBytes
        if ranks > 1 {
            plan.ranks = ranks
            plan.communicationBytes = communicationBytes
        }
        return plan
    }

    public enum Outcome: Sendable {
        case fits(MemoryPlan)
        /// Not even the smallest patch fits; `smallest` is its plan and says the minimum budget.
        case tooSmall(smallest: MemoryPlan)
    }

    /// The best configuration within `budget`; `patch` fixes the patch instead of searching. With `time`, a
    /// searched patch must also be one the time allows (see `TimeAllowance`); when none is, the smallest that fits.
    public func choose(budget: Int, patch fixedPatch: Extent3? = nil, recomputation: Bool = false,
                       time: TimeAllowance? = nil) -> Outcome {
        let candidates = fixedPatch.map { [$0] } ?? PatchCandidates.descending(volume: volume, multiple: configuration.patchMultiple)
        // Bisection would need fewer plans, but each plan costs microseconds and a linear walk is plainly correct.
        var fastest: MemoryPlan?
        for patch in candidates {
            let single = plan(patch: patch, microBatch: 1, budget: budget, recomputation: recomputation)
            guard single.predictedPeakBytes <= budget else { continue }
            var best = single
            for microBatch in divisors(of: effectiveBatch) where microBatch > 1 {
                let candidate = plan(patch: patch, microBatch: microBatch, budget: budget, recomputation: recomputation)
                if candidate.predictedPeakBytes <= budget { best = candidate }
            }
            if let time, fixedPatch == nil, !time.allows(best) {
                fastest = best
                continue
            }
            return .fits(best)
        }
        if let fastest { return .fits(fastest) }
        // `PatchCandidates.descending` always starts with the volume's own patch, so the list is never empty.
        return .tooSmall(smallest: plan(patch: candidates.last ?? volume, microBatch: 1, budget: budget, recomputation: recomputation))
    }

    private func divisors(of n: Int) -> [Int] { (1...max(n, 1)).filter { n % $0 == 0 } }
}
