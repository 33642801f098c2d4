/// Lays a run over its time budget (`fit --time`): how far along the run is (the share of the budget used, the
/// position of the learning-rate schedule and of the curriculum), whether one more step still fits before the
/// time kept back for the final validation and checkpoint, and when the next validation is due. Every estimate
/// comes from the run's own measurements on its clock: step times per stage, validation and save durations.
final class TimePacer {
    let budget: Double
    /// Seconds used before this process took the run over (the checkpoint's, on a resume).
    let usedBefore: Double
    private let clock: any RunClock
    /// Floating-point operations of one validation (forward passes over every validation window); 0: none.
    private let validationFlops: Double
    /// The last measured seconds of a step, per stage.
    private var stepSeconds: [Int: Double] = [:]
    /// Training throughput, from the last step: the only figure that predicts a stage not yet trained in, and a
    /// validation not yet run.
    private var flopsPerSecond: Double?
    private var validationSeconds: Double?
    private var saveSeconds: Double?

    /// Validation runs as the run passes each of these shares of its time (and once at the end).
    static let validationShares = [0.25, 0.5, 0.75]
    /// Measured durations are taken with this margin; estimates from throughput alone with a wider one.
    static let measuredMargin = 1.2
    static let estimatedMargin = 1.5
    /// What a checkpoint save is assumed to take before one is measured.
    static let assumedSaveSeconds = 2.0

    init(budget: Double, usedBefore: Double, clock: any RunClock, validationFlops: Double) {
        self.budget = budget
        self.usedBefore = usedBefore
        self.clock = clock
        self.validationFlops = validationFlops
    }

    /// Seconds of the budget used so far.
    var used: Double { usedBefore + clock.seconds }

    /// Seconds kept back for the final validation and the final checkpoints (`last/`, and `best/` when it improves).
    var reserve: Double {
        // A validation once measured is its own best estimate; before, its FLOPs at the training throughput.
        let validation = validationSeconds.map { $0 * TimePacer.measuredMargin }
            ?? flopsPerSecond.map { validationFlops / $0 * TimePacer.estimatedMargin } ?? 0
        let save = max(saveSeconds ?? 0, TimePacer.assumedSaveSeconds) * TimePacer.measuredMargin
        return validation + 2 * save
    }

    /// The share of the budget used (0...1). A function of the time used alone, not of the estimates (which a
    /// resumed process has yet to measure), so a resumed run continues the very schedule it left.
    var progress: Double { min(max(used / budget, 0), 1) }

    /// Whether a step of `stage` (of `flops` in all) ends before the reserve; with nothing measured yet, whether
    /// any time is left before it.
    func fitsStep(stage: Int, flops: Double) -> Bool {
        let estimate = stepSeconds[stage].map { $0 * TimePacer.measuredMargin }
            ?? flopsPerSecond.map { flops / $0 * TimePacer.estimatedMargin } ?? 0
        return used + estimate + reserve < budget
    }

    func recordStep(stage: Int, seconds: Double, flops: Double) {
        guard seconds > 0 else { return }
        stepSeconds[stage] = seconds
        flopsPerSecond = flops / seconds
    }

    func recordValidation(seconds: Double) { if seconds > 0 { validationSeconds = seconds } }

    func recordSave(seconds: Double) { if seconds > 0 { saveSeconds = max(saveSeconds ?? 0, seconds) } }

    /// The first validation share above `progress` (nil: none left before the end).
    static func nextValidationShare(after progress: Double) -> Double? {
        validationShares.first { $0 > progress }
    }
}
