/// Trains under a memory plan: the plan's graph on the executor, patches from the prefetcher, Adam over the
/// accumulated gradients. Everything of size is allocated here, up front, exactly as the plan counts it.
public final class Trainer {
    public let plan: MemoryPlan
    public let graph: LayerGraph
    public let parameters: ParameterStore
    public private(set) var optimizer: Adam
    private let executor: Executor
    private let prefetcher: Prefetcher
    /// The step's arena; validation borrows it between steps.
    private let arena: Arena

    public init(plan: MemoryPlan, cases: [TrainingCase], seed: UInt64, learningRate: Float = 1e-4,
                indexCache: ForegroundIndexCache? = nil) throws {
        self.plan = plan
        graph = LayerGraph(configuration: plan.configuration, patch: plan.patch, microBatch: plan.microBatch,
                           recomputation: plan.recomputation)
        parameters = ParameterStore(specs: graph.parameters)
        WeightInitializer.initialize(parameters, seed: seed)
        let layout = ArenaLayout(graph: graph)
        arena = try Arena(size: layout.size)
        executor = try Executor(graph: graph, layout: layout, parameters: parameters, arena: arena)
        optimizer = Adam(learningRate: learningRate)
        let sampler = PatchSampler(cases: cases, patch: plan.patch, seed: seed, indexCache: indexCache)
        prefetcher = Prefetcher(sampler: sampler, depth: plan.prefetchDepth, microBatch: plan.microBatch)
    }

    /// One optimizer step: `accumulationSteps` micro-batches forward and backward, then Adam. Returns the mean
    /// loss over the micro-batches.
    public func step() throws -> Double {
        var total = 0.0
        for _ in 0..<plan.accumulationSteps {
            let batch = try prefetcher.next()
            total += executor.trainStep(image: batch.image.baseAddress!, labels: batch.labels.baseAddress!)
        }
        optimizer.update(parameters, accumulationSteps: plan.accumulationSteps)
        return total / Double(plan.accumulationSteps)
    }

    public func stop() { prefetcher.stop() }

    /// A validator over `cases` that runs in this trainer's arena between steps, with the weights being trained.
    public func validator(cases: [TrainingCase], overlap: Double = 0.5) throws -> Validator {
        try Validator(plan: plan, parameters: parameters, trainingArena: arena, cases: cases, overlap: overlap)
    }
}
