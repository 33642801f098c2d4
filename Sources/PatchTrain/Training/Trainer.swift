import Foundation

/// Trains under a memory plan: the plan's graph on the executor, patches from the prefetcher, Adam over the
/// accumulated gradients. Everything of size is allocated here, up front, exactly as the plan counts it.
///
/// A trainer stands at a step boundary between calls to `step()`; `state` and `saveCheckpoint` describe that
/// boundary, and a trainer made with `resumingFrom:` a checkpoint continues from it exactly: the same patches,
/// the same augmentations, the same learning rates, the same weights bit for bit.
public final class Trainer {
    public let plan: MemoryPlan
    /// The graph of the stage being trained (`stageIndex` of the plan's curriculum).
    public private(set) var graph: LayerGraph
    /// The curriculum stage being trained (0 without a curriculum).
    public private(set) var stageIndex: Int
    public var stage: CurriculumStage { plan.curriculumStages[stageIndex] }
    /// Seconds of the run's time budget used at the boundary (`fit --time`; set by the run before it saves).
    public var timeUsedSeconds: Double?
    /// Where the run stands, 0...1, when its schedule is laid over time (`fit --time`): set before each step, the
    /// learning rate is then the schedule's at this share of the run. nil: steps of `options.totalSteps`.
    public var progress: Double? {
        didSet { schedule.progress = progress }
    }
    public let parameters: ParameterStore
    public let options: TrainingOptions
    public private(set) var optimizer: Adam
    /// Optimizer steps completed.
    public private(set) var completedSteps: Int
    public private(set) var schedule: SchedulePosition
    /// Loss of the last completed step.
    public private(set) var lastLoss: Double?
    /// The best validation result so far (set by whoever validates; saved with every checkpoint).
    public var best: BestMetric?
    private var executor: Executor {
        didSet { executor.profile = profile }
    }
    /// When set, each step's parts are timed into it (`StepProfile`): every operation, the optimizer, the gradient
    /// exchange and the wait for data.
    public var profile: StepProfile? {
        didSet { executor.profile = profile }
    }
    /// nil only while a stage change swaps it (so the old pool is freed before the new one is allocated).
    private var prefetcher: Prefetcher!
    private let cases: [TrainingCase]
    private let indexCache: ForegroundIndexCache?
    /// The step's arena; validation borrows it between steps.
    private let arena: Arena
    /// The sampler's state at the current step boundary (the prefetcher may have read ahead of it).
    private var boundarySampler: PatchSamplerState
    /// Set when a step failed: the prefetcher has ended, but the state of the last boundary can still be saved.
    public private(set) var hasFailed = false
    /// Set when a step diverged (`TrainingDiverged`): the weights may be non-finite, so nothing may be saved.
    public private(set) var hasDiverged = false
    /// The ranks this trainer trains with (a single process when not under `mpirun`).
    public let dataParallel: DataParallel

    /// A fresh trainer (weights from PyTorch's default initialisation, seeded), or, with `checkpoint`, one that
    /// continues from the checkpoint folder (e.g. `RUN/last`). The checkpoint is loaded before the arena and the
    /// patch pool are allocated, through the store's checkpoint scratch, so loading holds nothing the plan does
    /// not count. With a distributed `communicator`, every rank builds the same weights and trains on its
    /// `SampleShare` of the seed's patches.
    public init(plan: MemoryPlan, cases: [TrainingCase], options: TrainingOptions, indexCache: ForegroundIndexCache? = nil,
                resumingFrom checkpoint: String? = nil, communicator: any Communicator = SingleProcess()) throws {
        self.plan = plan
        self.options = options
        self.cases = cases
        self.indexCache = indexCache
        dataParallel = DataParallel(communicator: communicator)
        var stageIndex = 0
        var samplerState: PatchSamplerState?
        let stage0 = plan.curriculumStages[0]
        parameters = ParameterStore(specs: LayerGraph(configuration: plan.configuration, patch: stage0.patch, microBatch: 1).parameters,
                                    accumulatesMicroBatches: plan.curriculumStages.contains { $0.accumulationSteps > 1 })
        if let checkpoint {
            let loaded = try Checkpoint.load(from: checkpoint, into: parameters)
            optimizer = loaded.optimizer
            completedSteps = loaded.state.step
            lastLoss = loaded.state.loss
            best = loaded.state.best
            timeUsedSeconds = loaded.state.timeUsedSeconds
            if (loaded.state.sampler.augmentation != nil) != (options.augmentation != nil) {
                throw InputError("\(checkpoint)/\(Checkpoint.stateFile)",
                                 "the checkpoint was saved \(options.augmentation == nil ? "with" : "without") augmentation, the run asks for the opposite")
            }
            stageIndex = loaded.state.stage ?? 0
            guard stageIndex < plan.curriculumStages.count else {
                throw InputError("\(checkpoint)/\(Checkpoint.stateFile)", "is at curriculum stage \(stageIndex + 1); the run's plan has \(plan.curriculumStages.count)")
            }
            samplerState = loaded.state.sampler
        } else {
            WeightInitializer.initialize(parameters, seed: options.seed)
            optimizer = Adam(learningRate: options.learningRate)
            completedSteps = 0
        }
        schedule = SchedulePosition(schedule: options.schedule, baseLearningRate: options.learningRate,
                                    totalSteps: options.totalSteps, step: completedSteps)
        // One arena for the run, of the most demanding stage's size: every stage binds its graph inside it.
        arena = try Arena(size: plan.trainingArenaBytes)
        self.stageIndex = stageIndex
        let stage = plan.curriculumStages[stageIndex]
        let sampler = Trainer.sampler(plan: plan, stage: stage, cases: cases, options: options, indexCache: indexCache,
                                      communicator: communicator)
        if let samplerState { sampler.state = samplerState }
        boundarySampler = sampler.state
        (graph, executor) = try Trainer.bind(plan: plan, stage: stage, parameters: parameters, arena: arena, loss: options.loss)
        prefetcher = Prefetcher(sampler: sampler, depth: plan.prefetchDepth, microBatch: stage.microBatch)
    }

    /// A sampler of `stage`'s patches; in a data-parallel run it draws this rank's share of each step.
    private static func sampler(plan: MemoryPlan, stage: CurriculumStage, cases: [TrainingCase], options: TrainingOptions,
                                indexCache: ForegroundIndexCache?, communicator: any Communicator) -> PatchSampler {
        let sampler = PatchSampler(cases: cases, patch: stage.patch, seed: options.seed, indexCache: indexCache,
                                   augmentation: options.augmentation, classes: plan.configuration.classes)
        if communicator.isDistributed {
            sampler.share = SampleShare(rank: communicator.rank, ranks: communicator.size, patchesPerRank: stage.effectiveBatch)
        }
        return sampler
    }

    /// `stage`'s graph and an executor binding it at its planned offsets in the run's `arena`.
    private static func bind(plan: MemoryPlan, stage: CurriculumStage, parameters: ParameterStore, arena: Arena,
                             loss: SegmentationLoss) throws -> (LayerGraph, Executor) {
        let graph = LayerGraph(configuration: plan.configuration, patch: stage.patch, microBatch: stage.microBatch,
                               recomputation: plan.recomputation)
        let executor = try Executor(graph: graph, layout: ArenaLayout(graph: graph), parameters: parameters, arena: arena)
        executor.loss = loss
        return (graph, executor)
    }

    /// Moves to curriculum stage `index` at this step boundary: the prefetcher of the old patch is stopped and
    /// freed, and the new stage's sampler continues the sequence from the boundary, so a run resumed in any stage
    /// draws exactly what the uninterrupted run drew. Its graph is bound in the same arena.
    public func enterStage(_ index: Int) throws {
        guard index != stageIndex else { return }
        precondition(!hasFailed, "a trainer whose step failed cannot change stage")
        precondition(plan.curriculumStages.indices.contains(index), "no curriculum stage \(index)")
        prefetcher.stop()
        prefetcher = nil
        stageIndex = index
        let sampler = Trainer.sampler(plan: plan, stage: stage, cases: cases, options: options, indexCache: indexCache,
                                      communicator: dataParallel.communicator)
        sampler.state = boundarySampler
        (graph, executor) = try Trainer.bind(plan: plan, stage: stage, parameters: parameters, arena: arena, loss: options.loss)
        prefetcher = Prefetcher(sampler: sampler, depth: plan.prefetchDepth, microBatch: stage.microBatch)
    }

    /// A trainer with the plain settings: constant learning rate, Dice, no augmentation.
    public convenience init(plan: MemoryPlan, cases: [TrainingCase], seed: UInt64, learningRate: Float = 1e-4,
                            indexCache: ForegroundIndexCache? = nil) throws {
        try self.init(plan: plan, cases: cases,
                      options: TrainingOptions(seed: seed, learningRate: learningRate, totalSteps: 1, augmentation: nil),
                      indexCache: indexCache)
    }

    /// One optimizer step: `accumulationSteps` micro-batches forward and backward, then Adam at the schedule's
    /// rate. Returns the mean loss over the micro-batches.
    ///
    /// If a micro-batch cannot be had (a bad case, the prefetcher stopped), the step is abandoned: its gradients
    /// are dropped and the running statistics put back, so the trainer still stands at the last boundary and can
    /// be checkpointed; it cannot step again.
    ///
    /// A step whose loss is not finite, or whose update leaves a weight or running statistic that is not, throws
    /// `TrainingDiverged`: the trainer then cannot step or save again (`hasDiverged`).
    public func step() throws -> Double {
        precondition(!hasFailed, "a trainer whose step failed cannot step again")
        let start = DispatchTime.now().uptimeNanoseconds
        parameters.markStepStart()
        var total = 0.0
        do {
            for microBatch in 0..<stage.accumulationSteps {
                let batch = try StepProfile.measure(profile, "patches", .dataWait) { try prefetcher.next() }
                if microBatch > 0 { parameters.setAsideMicroBatchGradients() }
                total += executor.trainStep(image: batch.image.baseAddress!, labels: batch.labels.baseAddress!)
                if microBatch > 0 { parameters.addBackMicroBatchGradients() }
            }
        } catch {
            parameters.restoreStepStart()
            hasFailed = true
            prefetcher.stop()
            throw error
        }
        let parameterBytes = Double(parameters.floatCount * MemoryLayout<Float>.size)
        let loss = try StepProfile.measure(profile, "allreduce", .gradientExchange, bytes: 2 * parameterBytes) {
            try dataParallel.combine(parameters, lossSum: total, microBatches: stage.accumulationSteps)
        }
        guard loss.isFinite else { throw diverged("the loss is \(loss)") }
        // Adam reads the gradient, reads and writes the weights and both moments, and zeroes the gradient; the check
        // reads the weights again.
        let nonFinite = StepProfile.measure(profile, "adam", .optimizer, bytes: 9 * parameterBytes) {
            optimizer.update(parameters, accumulationSteps: stage.accumulationSteps * dataParallel.communicator.size,
                             learningRate: schedule.nextRate)
            return (0..<parameters.floatCount).first { !parameters.values[$0].isFinite }
        }
        if let first = nonFinite {
            throw diverged("the update left \(parameters.values[first]) in the weights")
        }
        completedSteps += 1
        schedule.step = completedSteps
        boundarySampler = prefetcher.resumeState
        if completedSteps % DataParallel.checksumEvery == 0 { try dataParallel.checkAgreement(parameters, step: completedSteps) }
        lastLoss = loss
        profile?.completeStep(seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        return loss
    }

    /// Ends training after a diverged step; the returned error names it.
    private func diverged(_ reason: String) -> TrainingDiverged {
        parameters.restoreStepStart()
        hasFailed = true
        hasDiverged = true
        prefetcher.stop()
        return TrainingDiverged(step: completedSteps + 1, reason: reason, learningRate: schedule.nextRate)
    }

    /// The learning rate the next step will use.
    public var nextLearningRate: Float { schedule.nextRate }

    /// Where training stands, as `state.json` records it.
    public var state: TrainingState {
        var state = TrainingState(step: completedSteps, epoch: options.stepsPerEpoch.map { completedSteps / $0 } ?? 0,
                                  sampler: boundarySampler, schedule: schedule, loss: lastLoss, best: best)
        state.timeUsedSeconds = timeUsedSeconds
        state.stage = plan.stages == nil ? nil : stageIndex
        return state
    }

    /// Saves the current boundary into `folder` (`RUN/last`, or `RUN/best` for the best validation result).
    public func saveCheckpoint(to folder: String, swap: AtomicFolder.Swap = .exchange,
                               makeSink: Checkpoint.SinkFactory = { try AtomicFile(path: $0) }) throws {
        guard !hasDiverged else { throw RuntimeFailure("\(folder): not saved: training diverged, the weights are not a checkpoint") }
        try Checkpoint.write(to: folder, parameters: parameters, optimizer: optimizer, state: state, swap: swap, makeSink: makeSink)
    }

    public func stop() { prefetcher.stop() }

    /// Waits until the patch reader rests (its queue full): validation then maps its file pages alone.
    public func waitForDataReaderToRest() { prefetcher?.waitUntilResting() }

    /// A validator over `cases` that runs in this trainer's arena between steps, with the weights being trained.
    public func validator(cases: [TrainingCase], overlap: Double = 0.5) throws -> Validator {
        try Validator(plan: plan, parameters: parameters, trainingArena: arena, cases: cases, overlap: overlap,
                      communicator: dataParallel.communicator)
    }
}

/// How a trainer trains, beyond the plan: everything `config.json` records for a resume.
public struct TrainingOptions: Sendable, Codable, Equatable {
    public var seed: UInt64
    public var learningRate: Float
    public var schedule: LearningRateSchedule
    /// The schedule's length (the run's total steps).
    public var totalSteps: Int
    public var loss: SegmentationLoss
    /// nil: patches are trained on as sampled (`--no-augment`).
    public var augmentation: Augmentation?
    /// For the epoch count in `state`; nil counts no epochs.
    public var stepsPerEpoch: Int?

    public init(seed: UInt64 = 0, learningRate: Float = 1e-4, schedule: LearningRateSchedule = .constant, totalSteps: Int,
                loss: SegmentationLoss = .dice, augmentation: Augmentation? = .standard, stepsPerEpoch: Int? = nil) {
        precondition(totalSteps >= 1, "a run has at least one step")
        self.seed = seed
        self.learningRate = learningRate
        self.schedule = schedule
        self.totalSteps = totalSteps
        self.loss = loss
        self.augmentation = augmentation
        self.stepsPerEpoch = stepsPerEpoch
    }
}
