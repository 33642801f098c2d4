/// What one training configuration will hold in memory, category by category, and the configuration itself.
/// Everything the planner decided is here, so `fit --plan plan.json` runs exactly what `plan` printed.
public struct MemoryPlan: Hashable, Codable, Sendable {
    public var configuration: UNetConfiguration
    /// The data's spatial extent the plan was made for.
    public var volume: Extent3
    public var patch: Extent3
    public var microBatch: Int
    public var accumulationSteps: Int
    public var effectiveBatch: Int { microBatch * accumulationSteps }
    /// Floating-point operations of one optimizer step (every micro-batch of it).
    public var flopsPerStep: Double { flopsPerMicroStep * Double(accumulationSteps) }
    /// Depth of the prefetch queue counted in `data`.
    public var prefetchDepth: Int
    /// Per-block recomputation of the first convolution in the backward pass (see `LayerGraph.recomputation`).
    public var recomputation: Bool
    /// The budget the plan was made for (whole-process peak RSS), in bytes.
    public var budgetBytes: Int

    public var fixed: FixedMemory
    public var persistent: PersistentMemory
    public var data: DataPipelineMemory
    public var arena: ArenaMemory
    /// What validating during training adds (see `ValidationMemory`); nil in plans written before validation existed.
    public var validationBytes: Int?
    /// The extent validation is planned for, per axis the largest of the validation cases', when any is larger than
    /// `volume` (datasets whose cases differ in shape: `volume` is the smallest, so the patch fits every case);
    /// nil: `volume`. See `validatingExtents`.
    public var validationVolume: Extent3?

    /// Predicted whole-process peak RSS (of each rank, in a data-parallel run). With a curriculum, the arena and the
    /// data pipeline are each the largest any stage holds: the run allocates them once for its most demanding stage.
    public var predictedPeakBytes: Int {
        fixed.total + persistent.total + trainingDataBytes + trainingArenaBytes + (validationBytes ?? 0) + (communicationBytes ?? 0)
    }
    public var headroomBytes: Int { budgetBytes - predictedPeakBytes }

    /// Floating-point operations of one micro-batch step (forward, loss and backward).
    public var flopsPerMicroStep: Double

    /// Processes of a data-parallel run (`mpirun -np N`), each holding everything above; nil: one.
    public var ranks: Int?
    /// Each rank's communication buffers besides its gradients (see `DataParallel.communicationBytes`); nil: none.
    public var communicationBytes: Int?
    public var rankCount: Int { ranks ?? 1 }
    /// Patches per optimizer step over all ranks: ranks × micro-batch × accumulation steps.
    public var globalBatch: Int { rankCount * effectiveBatch }

    /// The patch-size curriculum, smallest patch first; its last stage is the patch, micro-batch and accumulation
    /// above. nil: one patch for the whole run (`--curriculum none`, and plans written before curricula existed).
    public var stages: [CurriculumStage]?
}

extension MemoryPlan {
    /// The stages the run trains through: the curriculum's, else this plan's one patch for the whole run.
    public var curriculumStages: [CurriculumStage] { stages ?? [CurriculumStage(plan: self, share: 1)] }

    /// The arena the run allocates: the largest any stage needs.
    public var trainingArenaBytes: Int { max(arena.bytes, stages?.map(\.arenaBytes).max() ?? 0) }

    /// The data pipeline's bytes at its largest over the stages.
    public var trainingDataBytes: Int { max(data.total, stages?.map(\.dataBytes).max() ?? 0) }

    /// The stage that trains at `progress` (0...1, the share of the run done): stage i covers the shares of the
    /// stages before it up to its own. Never before `atLeast` (stages only grow, even if an estimate of the run's
    /// length moves back).
    public func stageIndex(atProgress progress: Double, atLeast: Int = 0) -> Int {
        let stages = curriculumStages
        var end = 0.0
        for (index, stage) in stages.enumerated() {
            end += stage.share
            if progress < end - 1e-12 { return max(index, atLeast) }
        }
        return stages.count - 1
    }

    /// The peak of stage `index` on its own: the run's, with that stage's arena and data pipeline in place of the
    /// largest ones.
    public func stagePeakBytes(_ index: Int) -> Int {
        let stage = curriculumStages[index]
        return predictedPeakBytes - trainingArenaBytes - trainingDataBytes + stage.arenaBytes + stage.dataBytes
    }

    /// The stage whose arena and data pipeline together are the largest (the one that sets the peak).
    public var demandingStageIndex: Int {
        let stages = curriculumStages
        return stages.indices.max { stages[$0].arenaBytes + stages[$0].dataBytes < stages[$1].arenaBytes + stages[$1].dataBytes } ?? 0
    }
}

extension MemoryPlan {
    /// Decodes `plan.json` and range-checks every field (`checkLimits`): the file may have been edited.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        configuration = try c.decode(UNetConfiguration.self, forKey: .configuration)
        volume = try c.decode(Extent3.self, forKey: .volume)
        patch = try c.decode(Extent3.self, forKey: .patch)
        microBatch = try c.decode(Int.self, forKey: .microBatch)
        accumulationSteps = try c.decode(Int.self, forKey: .accumulationSteps)
        prefetchDepth = try c.decode(Int.self, forKey: .prefetchDepth)
        recomputation = try c.decode(Bool.self, forKey: .recomputation)
        budgetBytes = try c.decode(Int.self, forKey: .budgetBytes)
        fixed = try c.decode(FixedMemory.self, forKey: .fixed)
        persistent = try c.decode(PersistentMemory.self, forKey: .persistent)
        data = try c.decode(DataPipelineMemory.self, forKey: .data)
        arena = try c.decode(ArenaMemory.self, forKey: .arena)
        validationBytes = try c.decodeIfPresent(Int.self, forKey: .validationBytes)
        validationVolume = try c.decodeIfPresent(Extent3.self, forKey: .validationVolume)
        flopsPerMicroStep = try c.decode(Double.self, forKey: .flopsPerMicroStep)
        ranks = try c.decodeIfPresent(Int.self, forKey: .ranks)
        communicationBytes = try c.decodeIfPresent(Int.self, forKey: .communicationBytes)
        stages = try c.decodeIfPresent([CurriculumStage].self, forKey: .stages)
        try checkLimits()
    }
}

/// The process itself: Swift runtime, loaded libraries, OpenBLAS thread buffers. Measured, not guessed.
public struct FixedMemory: Hashable, Codable, Sendable {
    public var runtimeBytes: Int
    /// How the figure was obtained (e.g. "measured at start-up").
    public var source: String
    public var total: Int { runtimeBytes }

    public init(runtimeBytes: Int, source: String) {
        self.runtimeBytes = runtimeBytes
        self.source = source
    }
}

/// Lives for the whole run: fp32 master weights, fp32 gradient accumulators, Adam's two moments,
/// the normalisation running statistics, and the checkpoint scratch.
public struct PersistentMemory: Hashable, Codable, Sendable {
    public var weightBytes: Int
    public var gradientBytes: Int
    public var optimizerBytes: Int
    /// The running statistics and counters, twice: the live values and their copy from the step's start
    /// (`ParameterStore.markStepStart`), so an abandoned step leaves them as the last whole step did.
    public var runningStatisticsBytes: Int
    /// What saving or loading a checkpoint passes through (`CheckpointScratch`): one parameter's worth of fp32 for
    /// converting tensors to PyTorch's layout, the zstd context's workspace for the optimizer state, and its
    /// compressed-bytes buffer.
    public var checkpointScratchBytes: Int
    public var total: Int { weightBytes + gradientBytes + optimizerBytes + runningStatisticsBytes + checkpointScratchBytes }

    /// `accumulationSteps` above 1 adds a second gradient buffer, the sum of the step's finished micro-batches
    /// (`ParameterStore.setAsideMicroBatchGradients`).
    public init(graph: LayerGraph, accumulationSteps: Int = 1) {
        let trainable = graph.parameters.filter(\.trainable)
        let weights = trainable.reduce(0) { $0 + $1.bytes }
        weightBytes = weights
        gradientBytes = weights
        optimizerBytes = 2 * weights
        runningStatisticsBytes = 2 * graph.parameters.filter { !$0.trainable }.reduce(0) { $0 + $1.bytes }
        checkpointScratchBytes = PersistentMemory.checkpointScratchBytes(
            largestParameterElements: graph.parameters.filter { $0.elementType == .float32 }.map(\.elements).max() ?? 0)
        self = countingMicroBatchSum(accumulationSteps > 1)
    }

    /// This count with the buffer of finished micro-batch gradients when `accumulates` (a run in which any stage
    /// accumulates micro-batches holds it for the whole run), without it otherwise.
    public func countingMicroBatchSum(_ accumulates: Bool) -> PersistentMemory {
        var counted = self
        counted.gradientBytes = accumulates ? 2 * weightBytes : weightBytes
        return counted
    }

    /// The compressed-bytes buffer between the zstd context and the file. zstd's own recommendation for a streaming
    /// output buffer is one block (128 KiB); any size works.
    public static let checkpointIOBytes = 128 << 10

    /// `CheckpointScratch` for a network whose largest fp32 parameter has `largestParameterElements` values.
    public static func checkpointScratchBytes(largestParameterElements: Int) -> Int {
        max(largestParameterElements, 1) * MemoryLayout<Float>.size + ZstdStreaming.workspaceBytes + checkpointIOBytes
    }
}

/// The step's transient tensors, packed into one arena.
public struct ArenaMemory: Hashable, Codable, Sendable {
    public var bytes: Int
    /// The operation during which the most bytes are live, and what they are by kind there.
    public var peakOperation: String
    public var peakByKind: [String: Int]
    /// Bytes of saved fp16 activations per network level (0 = full resolution; `depth` = bottleneck).
    public var activationBytesByLevel: [Int]
    /// Bytes live at the peak per level.
    public var peakBytesByLevel: [Int]

    public init(graph: LayerGraph, layout: ArenaLayout) {
        bytes = layout.size
        let peak = layout.peakOperation
        peakOperation = graph.operations[peak].name
        var byKind: [String: Int] = [:]
        var byLevel = [Int](repeating: 0, count: graph.configuration.depth + 1)
        for lifetime in layout.lifetimes where lifetime.isLive(at: peak) {
            let t = graph.tensors[lifetime.tensor]
            byKind[t.kind.rawValue, default: 0] += t.bytes
            if let level = t.level { byLevel[level] += t.bytes }
        }
        peakByKind = byKind
        peakBytesByLevel = byLevel
        var activations = [Int](repeating: 0, count: graph.configuration.depth + 1)
        for t in graph.tensors where t.kind == .activation {
            activations[t.level ?? 0] += t.bytes
        }
        activationBytesByLevel = activations
    }
}
