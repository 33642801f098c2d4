/// `state.json` of a checkpoint: where training stands at a step boundary, beside the weights and the optimizer.
/// Together with the run's `plan.json` and `config.json` it is everything a resumed run needs to continue as if
/// it had never stopped.
public struct TrainingState: Codable, Sendable, Equatable {
    /// The version of this layout; readers refuse versions they do not know.
    public var format: Int = TrainingState.currentFormat
    /// Optimizer steps completed.
    public var step: Int
    /// Whole epochs completed (`step / stepsPerEpoch`; see `RunConfiguration.stepsPerEpoch`).
    public var epoch: Int
    /// The patch sampler where the next step's first patch will be drawn: its position generator, draw count and
    /// the augmentation generator (the prefetcher's `resumeState` at this step boundary, not where it had read ahead to).
    public var sampler: PatchSamplerState
    /// The learning-rate schedule and its position (`step` of `totalSteps`).
    public var schedule: SchedulePosition
    /// Loss of the last step (nil before the first).
    public var loss: Double?
    /// The best validation result so far, kept for the `best/` checkpoint; nil until validation runs.
    public var best: BestMetric?
    /// Seconds of the run's time budget used at this boundary (`fit --time`): a resumed run continues the same
    /// budget from here. nil: the run is measured in steps.
    public var timeUsedSeconds: Double?
    /// The curriculum stage trained at this boundary (index into the plan's stages); nil: no curriculum.
    public var stage: Int?

    public static let currentFormat = 1

    public init(step: Int, epoch: Int, sampler: PatchSamplerState, schedule: SchedulePosition, loss: Double?, best: BestMetric? = nil) {
        self.step = step
        self.epoch = epoch
        self.sampler = sampler
        self.schedule = schedule
        self.loss = loss
        self.best = best
    }
}

/// Which schedule, from which base rate, over how many steps, and how far along it training is.
public struct SchedulePosition: Codable, Sendable, Equatable {
    public var schedule: LearningRateSchedule
    public var baseLearningRate: Float
    public var totalSteps: Int
    /// Steps taken on it (the next update uses `rate(at: step)`).
    public var step: Int
    /// The share of the run done (0...1) when the run is laid over a time budget: the next update's rate is the
    /// schedule's there instead of at `step / totalSteps`. nil: by steps.
    public var progress: Double?

    public init(schedule: LearningRateSchedule, baseLearningRate: Float, totalSteps: Int, step: Int) {
        self.schedule = schedule
        self.baseLearningRate = baseLearningRate
        self.totalSteps = totalSteps
        self.step = step
    }

    /// The learning rate of the next update.
    public var nextRate: Float {
        progress.map { schedule.rate(base: baseLearningRate, progress: $0) }
            ?? schedule.rate(base: baseLearningRate, step: step, totalSteps: totalSteps)
    }
}

/// A validation metric and where it was reached (kept by `fit` when it validates, for the `best/` checkpoint).
public struct BestMetric: Codable, Sendable, Equatable {
    /// What was measured, e.g. `"dice"`.
    public var name: String
    public var value: Double
    /// Whether larger is better (Dice) or smaller (a loss).
    public var higherIsBetter: Bool
    /// The step whose weights reached it (the weights in `best/`).
    public var step: Int

    public init(name: String, value: Double, higherIsBetter: Bool, step: Int) {
        self.name = name
        self.value = value
        self.higherIsBetter = higherIsBetter
        self.step = step
    }

    /// Whether `candidate` improves on this.
    public func isImproved(by candidate: Double) -> Bool { higherIsBetter ? candidate > value : candidate < value }
}
