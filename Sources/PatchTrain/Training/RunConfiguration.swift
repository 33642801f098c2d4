/// `config.json` of a run: what `fit` was asked to do, so `fit --resume` can carry on with the same settings.
/// Only the length (`steps`, `epochs`) and the dataset's location may change on a resume.
public struct RunConfiguration: Codable, Sendable, Equatable {
    /// The dataset folder or manifest.
    public var data: String
    /// Training case ids in the sampler's order: a resumed run must find the same ones.
    public var cases: [String]
    /// Total optimizer steps of the run.
    public var steps: Int
    /// The epochs asked for, when the length was given as `--epochs` (then `steps = epochs × stepsPerEpoch`).
    public var epochs: Int?
    /// Steps whose patches hold as many voxels as the training set (see `stepsPerEpoch(voxels:plan:)`).
    public var stepsPerEpoch: Int
    public var learningRate: Float
    public var schedule: LearningRateSchedule
    public var loss: SegmentationLoss
    /// nil: `--no-augment`.
    public var augmentation: Augmentation?
    public var seed: UInt64
    /// Patches per optimizer step over all ranks: ranks × micro-batch × accumulation steps.
    public var effectiveBatch: Int
    /// The data-parallel ranks the run trains on (nil: one process); a resume needs as many.
    public var ranks: Int?
    public var budgetBytes: Int
    /// Save `last/` every this many steps (0: only at the end and when stopping).
    public var checkpointEvery: Int
    /// The cases validated by sliding-window inference (none: no validation), and every how many steps (and always
    /// after the last step). Optional so that configurations written before validation existed still read.
    public var validationCases: [String]?
    public var validationEvery: Int?
    /// `--validation` as given (nil: the manifest's list), so that a resume splits the dataset the same way.
    public var validationSplit: String?
    /// `--time`: the run's wall-clock budget in seconds, over which its schedule and curriculum are laid (then
    /// `steps` is `mostSteps`); nil: the run is measured in steps.
    public var timeBudgetSeconds: Double?

    public init(data: String, cases: [String], steps: Int, epochs: Int? = nil, stepsPerEpoch: Int, learningRate: Float,
                schedule: LearningRateSchedule, loss: SegmentationLoss, augmentation: Augmentation?, seed: UInt64,
                effectiveBatch: Int, budgetBytes: Int, checkpointEvery: Int) {
        self.data = data
        self.cases = cases
        self.steps = steps
        self.epochs = epochs
        self.stepsPerEpoch = stepsPerEpoch
        self.learningRate = learningRate
        self.schedule = schedule
        self.loss = loss
        self.augmentation = augmentation
        self.seed = seed
        self.effectiveBatch = effectiveBatch
        self.budgetBytes = budgetBytes
        self.checkpointEvery = checkpointEvery
    }

    /// The longest run, in optimizer steps (far beyond any run's length; keeps every step count inside `Int32`).
    public static let mostSteps = Int(Int32.max)

    /// Throws `FieldProblem` for the first field out of range: `config.json` may have been edited.
    public func checkLimits() throws {
        try FieldProblem.check("steps", steps, in: 1...RunConfiguration.mostSteps)
        try FieldProblem.check("stepsPerEpoch", stepsPerEpoch, in: 1...Int(Int32.max))
        if let epochs {
            try FieldProblem.check("epochs", epochs, in: 1...Int(Int32.max))
            guard Checked.product(epochs, stepsPerEpoch) != nil else { throw FieldProblem("epochs", "× stepsPerEpoch overflows") }
        }
        try FieldProblem.check("effectiveBatch", effectiveBatch, in: PlanLimits.effectiveBatch)
        guard budgetBytes > 0 else { throw FieldProblem("budgetBytes", "is \(budgetBytes), must be positive") }
        try FieldProblem.check("checkpointEvery", checkpointEvery, in: 0...Int(Int32.max))
        if let timeBudgetSeconds, !(timeBudgetSeconds.isFinite && timeBudgetSeconds >= 1 && timeBudgetSeconds <= TimeBudget.longest) {
            throw FieldProblem("timeBudgetSeconds", "is \(timeBudgetSeconds), must be 1...\(Int(TimeBudget.longest))")
        }
        if let validationEvery { try FieldProblem.check("validationEvery", validationEvery, in: 0...Int(Int32.max)) }
        guard learningRate.isFinite, learningRate > 0 else { throw FieldProblem("learningRate", "is \(learningRate), must be a positive number") }
        if let augmentation {
            guard (0...1).contains(augmentation.flipProbability), augmentation.scale.lowerBound > 0, augmentation.scale.upperBound.isFinite,
                  augmentation.shift >= 0, augmentation.shift.isFinite else {
                throw FieldProblem("augmentation", "has a flip probability outside 0...1, a scale not above 0, or a negative shift")
            }
        }
    }

    /// The trainer's options for this configuration.
    public var trainingOptions: TrainingOptions {
        TrainingOptions(seed: seed, learningRate: learningRate, schedule: schedule, totalSteps: steps, loss: loss,
                        augmentation: augmentation, stepsPerEpoch: stepsPerEpoch)
    }

    /// An epoch is the number of steps whose patches hold as many voxels as the training set:
    /// ⌈Σ case voxels / (patch voxels × effective batch)⌉, at least 1. With patches as large as the volumes it is
    /// one pass's worth of cases; with small patches, proportionally more steps. (Patches are drawn at random,
    /// so an epoch is an amount of data, not a pass that visits every voxel once.)
    public static func stepsPerEpoch(trainingVoxels: Int, plan: MemoryPlan) -> Int {
        let perStep = plan.patch.volume * plan.globalBatch
        return max(1, (trainingVoxels + perStep - 1) / perStep)
    }
}
