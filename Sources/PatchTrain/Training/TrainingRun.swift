import Foundation

/// One `fit` run in its run folder: the training loop with its metrics, checkpoints, budget check and stop
/// request, started fresh or resumed from `last/`. The CLI only chooses the plan, shows progress and maps the
/// outcome to an exit code.
///
/// Every way out of `run()` leaves `last/` at a step boundary: the end of the run, a stop request (a signal)
/// honoured between steps, a bad case met while sampling, a budget breach or a failed metrics write (the last
/// three rethrown with where the checkpoint went).
public final class TrainingRun {
    public let folder: RunFolder
    public let configuration: RunConfiguration
    public let plan: MemoryPlan
    public let trainer: Trainer
    public let stopRequest: StopRequest
    /// The step the run (re)started from.
    public let firstStep: Int
    /// nil on the ranks other than 0 of a data-parallel run: rank 0 alone writes the run folder.
    private let metrics: RunMetrics?
    private var communicator: any Communicator { trainer.dataParallel.communicator }
    /// The run's curves so far (resumed runs start from their metrics file), drawn to `progress.png` after each
    /// validation without reading the metrics back.
    private var curves: TrainingCurves

    /// Called after each step's record is written (progress display).
    public var onStep: ((StepRecord) -> Void)?
    /// Validation by sliding-window inference over whole volumes, in the idle training arena, every
    /// `configuration.validationEvery` steps and after the last; nil when the run has no validation cases.
    private let validator: Validator?
    /// Called as validation starts (with its total passes) and as it progresses (passes done).
    public var onValidationStart: ((Int) -> Void)?
    public var onValidationProgress: ((Int) -> Void)?
    /// Seconds since the command started (its start-up counts against a time budget).
    public let clock: any RunClock
    /// The run laid over its time budget (`fit --time`); nil: the run is measured in steps.
    let pacer: TimePacer?
    /// Under a time budget: the next share of the time at which validation is due.
    private var nextValidationShare: Double?

    public enum Outcome: Equatable, Sendable {
        /// All `configuration.steps` done; `last/` holds the final state.
        case completed
        /// A stop was requested (by `signal`); `last/` holds the state after the last whole step.
        case stopped(signal: Int32)
    }

    private init(folder: RunFolder, configuration: RunConfiguration, plan: MemoryPlan, trainer: Trainer,
                 stopRequest: StopRequest, validationCases: [TrainingCase], clock: any RunClock) throws {
        let validator = validationCases.isEmpty ? nil : try trainer.validator(cases: validationCases)
        self.validator = validator
        self.clock = clock
        pacer = configuration.timeBudgetSeconds.map {
            TimePacer(budget: $0, usedBefore: trainer.timeUsedSeconds ?? 0, clock: clock, validationFlops: validator?.flopsPerRun ?? 0)
        }
        nextValidationShare = pacer.flatMap { TimePacer.nextValidationShare(after: $0.progress) }
        self.folder = folder
        self.configuration = configuration
        self.plan = plan
        self.trainer = trainer
        self.stopRequest = stopRequest
        firstStep = trainer.completedSteps
        metrics = trainer.dataParallel.communicator.isRoot ? try folder.openMetrics() : nil
        curves = trainer.dataParallel.communicator.isRoot ? try TrainingCurves.read(metrics: folder.metricsJSONPath) : TrainingCurves()
    }

    /// A new run in `path` (created; refused if it already holds a run): writes `plan.json` and `config.json`.
    public static func start(in path: String, plan: MemoryPlan, cases: [TrainingCase], validationCases: [TrainingCase] = [],
                             configuration: RunConfiguration,
                             indexCache: ForegroundIndexCache? = nil, stopRequest: StopRequest = StopRequest(),
                             communicator: any Communicator = SingleProcess(), clock: any RunClock = WallClock()) throws -> TrainingRun {
        try RunRanks.check(plan: plan, communicator: communicator, source: "the plan")
        let plan = try planningValidation(plan, of: validationCases)
        let folder = communicator.isRoot ? try RunFolder.create(path) : RunFolder.peer(path)
        if communicator.isRoot {
            try folder.writePlan(plan)
            try folder.writeConfiguration(configuration)
        }
        let trainer = try Trainer(plan: plan, cases: cases, options: configuration.trainingOptions, indexCache: indexCache,
                                  communicator: communicator)
        if configuration.timeBudgetSeconds != nil { trainer.timeUsedSeconds = 0 }
        return try TrainingRun(folder: folder, configuration: configuration, plan: plan, trainer: trainer, stopRequest: stopRequest,
                               validationCases: validationCases, clock: clock)
    }

    /// The run in `path`, continued from `last/` under its own `plan.json` and `config.json`. `data` says where the
    /// dataset is now (default: where it was); `steps`, `epochs` or `time` set a new total length (a run laid over
    /// time continues its budget from the time its checkpoint had used). Metrics of steps after the checkpoint (a
    /// crash past the last save) are dropped, since those steps run again.
    public static func resume(_ path: String, data: String? = nil, steps: Int? = nil, epochs: Int? = nil, time: TimeBudget? = nil,
                              indexCache: ForegroundIndexCache? = nil, stopRequest: StopRequest = StopRequest(),
                              communicator: any Communicator = SingleProcess(), clock: any RunClock = WallClock()) throws -> TrainingRun {
        let folder = communicator.isRoot ? try RunFolder.open(path) : RunFolder.peer(path)
        let savedPlan = try folder.readPlan()
        try RunRanks.check(plan: savedPlan, communicator: communicator, source: folder.planPath)
        var configuration = try folder.readConfiguration()
        if let data { configuration.data = data }
        try configuration.setLength(steps: steps, epochs: epochs, time: time)
        let split = try Dataset(path: configuration.data, split: configuration.validationSplit.flatMap(ValidationSplit.init(parsing:)))
            .openSplit()
        let cases = split.training
        let plan = try planningValidation(savedPlan, of: split.validation)
        guard cases.map(\.id) == configuration.cases, split.validation.map(\.id) == (configuration.validationCases ?? []) else {
            throw InputError(configuration.data, "its training cases (\(cases.count)) are not the \(configuration.cases.count) this run was started with (\(folder.configurationPath))")
        }
        if let first = cases.first, first.image.shape.channels != plan.configuration.inputChannels {
            throw InputError(first.image.path, "has \(first.image.shape.channels) channel(s); the run's plan has \(plan.configuration.inputChannels)")
        }
        let state = try Checkpoint.readState(of: folder.lastPath)
        guard state.step <= configuration.steps else {
            throw InputError(folder.lastPath, "is at step \(state.step), past the \(configuration.steps) steps asked for")
        }
        let trainer = try Trainer(plan: plan, cases: cases, options: configuration.trainingOptions, indexCache: indexCache,
                                  resumingFrom: folder.lastPath, communicator: communicator)
        trainer.timeUsedSeconds = configuration.timeBudgetSeconds == nil ? nil : (trainer.timeUsedSeconds ?? 0)
        // Only once the checkpoint has loaded: a resume that fails changes nothing in the folder.
        if communicator.isRoot {
            try folder.writeConfiguration(configuration)
            try RunMetrics.truncate(jsonPath: folder.metricsJSONPath, csvPath: folder.metricsCSVPath, throughStep: trainer.completedSteps)
        }
        return try TrainingRun(folder: folder, configuration: configuration, plan: plan, trainer: trainer, stopRequest: stopRequest,
                               validationCases: split.validation, clock: clock)
    }

    /// `plan` with validation planned for the largest validation case (cases may differ in shape; the plan's volume
    /// is the smallest), refused before anything is made when that no longer fits the budget. Without validation
    /// cases nothing is validated, so the plan holds no validation bytes.
    static func planningValidation(_ plan: MemoryPlan, of cases: [TrainingCase]) throws -> MemoryPlan {
        if cases.isEmpty {
            var unvalidated = plan
            unvalidated.validationBytes = 0
            unvalidated.validationVolume = nil
            return unvalidated
        }
        let widened = plan.validatingExtents(cases.map(\.image.shape.spatial))
        guard widened != plan, widened.predictedPeakBytes > widened.budgetBytes,
              let largest = cases.max(by: { $0.image.shape.spatial.volume < $1.image.shape.spatial.volume }) else { return widened }
        throw InputError(largest.image.path, "validating volumes up to \(widened.validationVolume ?? widened.volume) needs a peak of \(ByteCount.format(widened.predictedPeakBytes)), over the budget \(ByteCount.format(widened.budgetBytes)): give more memory or validate smaller cases")
    }

    /// Trains to `configuration.steps` (or, under a time budget, while a step still fits before the time kept back
    /// for the end), or until a stop is requested; validates a last time and saves `last/`. See the type's comment.
    public func run() throws -> Outcome {
        defer { trainer.stop() }
        var next = try nextStage()
        while let stage = next {
            if let signal = try RunRanks.agreedStop(stopRequest, communicator: communicator) {
                try saveLast()
                return .stopped(signal: signal)
            }
            do { try trainer.enterStage(stage) } catch { throw stopped(by: error) }
            var record = try trainStep()
            // Decided before the record is written, so that the run's last step is the one validated.
            next = try nextStage()
            if let validator, next == nil || isValidationDue(record.step) {
                try validateAfter(&record, validator)
            }
            try finish(&record)
        }
        // Nothing to save when a resumed run had nothing left to do: last/ already is this state.
        if trainer.completedSteps > firstStep || AtomicFolder.resolve(folder.lastPath) == nil { try saveLast() }
        return .completed
    }

    /// The stage of the next step, or nil when the run's length is done. Under a time budget it also sets the
    /// schedule's position: the share of the time used, agreed by every rank (their clocks differ a little).
    private func nextStage() throws -> Int? {
        guard let pacer else {
            guard trainer.completedSteps < configuration.steps else { return nil }
            return plan.stageIndex(atProgress: Double(trainer.completedSteps) / Double(configuration.steps), atLeast: trainer.stageIndex)
        }
        let scale = 1e9
        let progress = Double(try communicator.maximum(Int(pacer.progress * scale))) / scale
        let stage = plan.stageIndex(atProgress: progress, atLeast: trainer.stageIndex)
        let fits = (trainer.completedSteps == firstStep && pacer.used < pacer.budget)
            || pacer.fitsStep(stage: stage, flops: plan.curriculumStages[stage].flopsPerStep)
        guard try communicator.maximum(fits ? 0 : 1) == 0, trainer.completedSteps < configuration.steps else { return nil }
        trainer.progress = progress
        return stage
    }

    /// One optimizer step, as the metrics record it.
    private func trainStep() throws -> StepRecord {
        let rate = trainer.nextLearningRate
        let started = clock.seconds
        let loss: Double
        do {
            loss = try trainer.step()
        } catch let divergence as TrainingDiverged {
            // Nothing is saved: last/ (and best/) keep the last good checkpoint, byte for byte.
            let kept = (try? Checkpoint.readState(of: folder.lastPath).step).map { "\(folder.lastPath) keeps step \($0)" }
                ?? "no checkpoint was saved"
            throw RuntimeFailure("\(divergence); \(kept)")
        } catch {
            throw stopped(by: error)
        }
        let seconds = clock.seconds - started
        let stage = trainer.stage
        pacer?.recordStep(stage: trainer.stageIndex, seconds: seconds, flops: stage.flopsPerStep)
        let step = trainer.completedSteps
        let voxelsPerStep = Double(stage.patch.volume * stage.effectiveBatch * plan.rankCount)
        var record = StepRecord(step: step, epoch: epoch(of: step), loss: loss, learningRate: rate, seconds: seconds,
                                voxelsPerSecond: voxelsPerStep / max(seconds, 1e-9), residentBytes: ProcessMemory.residentBytes,
                                peakResidentBytes: ProcessMemory.peakResidentBytes)
        record.stage = plan.stages == nil ? nil : trainer.stageIndex
        return record
    }

    private func epoch(of step: Int) -> Int { max(step - 1, 0) / configuration.stepsPerEpoch + 1 }

    /// Validates after `record`'s step, keeps `best/` when it improved, and notes the result in the record.
    private func validateAfter(_ record: inout StepRecord, _ validator: Validator) throws {
        let result: Validator.Result
        let started = clock.seconds
        do { result = try validate(validator) } catch { throw stopped(by: error) }
        pacer?.recordValidation(seconds: clock.seconds - started)
        if let pacer { nextValidationShare = TimePacer.nextValidationShare(after: pacer.progress) }
        record.validationDice = result.meanDice
        record.validationForegroundDice = result.meanForegroundDice
        record.validationSeconds = result.seconds
        record.peakResidentBytes = ProcessMemory.peakResidentBytes
        lastValidation = result
        if trainer.best?.isImproved(by: result.meanForegroundDice) ?? true {
            trainer.best = BestMetric(name: "validation mean foreground Dice", value: result.meanForegroundDice,
                                      higherIsBetter: true, step: record.step)
            try save(to: folder.bestPath)
        }
    }

    /// Writes `record`, shows it, checks the budget, and saves `last/` when one is due.
    private func finish(_ record: inout StepRecord) throws {
        record.elapsedSeconds = (pacer?.usedBefore ?? 0) + clock.seconds
        do {
            if let metrics {
                try metrics.append(record)
                curves.add(record)
                if record.validationDice != nil { try ProgressChart.render(curves.finished).writePNG(to: folder.progressPath) }
            }
        } catch { throw stopped(by: error) }
        onStep?(record)
        // The budget is a promise: if it is ever broken, stop with a clear error rather than be OOM-killed.
        // In a data-parallel run every rank holds its own budget, and all stop together on the largest peak.
        let peak = try communicator.maximum(record.peakResidentBytes)
        if peak > plan.budgetBytes {
            throw stopped(by: MemoryBudget.breach(peak: peak, budget: plan.budgetBytes,
                                                  predicted: plan.predictedPeakBytes, moment: "at step \(record.step)"))
        }
        let step = record.step
        if configuration.checkpointEvery > 0 && step % configuration.checkpointEvery == 0 && step < configuration.steps {
            try saveLast()
        }
    }

    /// The last validation's result (nil before any).
    public private(set) var lastValidation: Validator.Result?

    /// By steps: every `validationEvery` steps and after the last. Under a time budget: every `validationEvery`
    /// steps when asked for, else as the run passes each of `TimePacer.validationShares` of its time (and, after
    /// the loop, once at the end).
    private func isValidationDue(_ step: Int) -> Bool {
        let every = configuration.validationEvery ?? 0
        if every > 0 && step % every == 0 { return true }
        guard let pacer else { return step == configuration.steps }
        guard every == 0, let share = nextValidationShare else { return false }
        return pacer.progress >= share
    }

    private func validate(_ validator: Validator) throws -> Validator.Result {
        trainer.waitForDataReaderToRest()
        onValidationStart?(validator.totalPasses)
        return try validator.run(afterStep: trainer.completedSteps, progress: { self.onValidationProgress?($0) },
                                 slices: folder.writeValidationSlices)
    }

    /// Saves the trainer's current step boundary as `last/`.
    public func saveLast() throws { try save(to: folder.lastPath) }

    /// Rank 0 writes checkpoints, once every rank's weights are known to be the same. Under a time budget the
    /// checkpoint records the time used, and the save's own duration is measured for the reserve.
    private func save(to path: String) throws {
        try trainer.dataParallel.checkAgreement(trainer.parameters, step: trainer.completedSteps)
        let started = clock.seconds
        if let pacer { trainer.timeUsedSeconds = pacer.used }
        if communicator.isRoot { try trainer.saveCheckpoint(to: path) }
        pacer?.recordSave(seconds: clock.seconds - started)
    }

    /// Seconds of the time budget used so far (nil: the run is measured in steps).
    public var timeUsedSeconds: Double? { pacer?.used }

    /// Saves `last/` after a failure, then returns the failure with where training stopped and what was saved,
    /// keeping its kind (bad input stays bad input: exit 2; anything else is a runtime failure: exit 1).
    private func stopped(by error: any Error) -> any Error {
        var outcome = "stopped after step \(trainer.completedSteps)"
        do {
            // Not `saveLast()`: its agreement check is a collective, and a failure may be this rank's alone while the
            // others wait elsewhere. The weights at a boundary are the same on every rank (checked every few steps).
            guard communicator.isRoot else { throw RuntimeFailure("\(communicator.rankName) does not write checkpoints; \(folder.lastPath) keeps rank 0's last one") }
            try trainer.saveCheckpoint(to: folder.lastPath)
            outcome += "; saved \(folder.lastPath), continue with --resume \(folder.path)"
        } catch {
            outcome += "; saving the checkpoint failed too (\(error))"
        }
        switch error {
        case let error as InputError: return InputError(error.file, "\(error.problem); \(outcome)")
        case let error as RuntimeFailure: return RuntimeFailure("\(error.message); \(outcome)")
        default: return RuntimeFailure("\(error); \(outcome)")
        }
    }
}

extension RunConfiguration {
    /// Sets the run's total length from `--steps`, `--epochs` or `--time` (at most one; none leaves it as it is).
    /// A run laid over time has no step limit of its own (`steps` is then the largest a file may record).
    public mutating func setLength(steps: Int?, epochs: Int?, time: TimeBudget? = nil) throws {
        precondition([steps != nil, epochs != nil, time != nil].filter { $0 }.count <= 1, "give steps, epochs or time, not two")
        let most = RunConfiguration.mostSteps
        if let steps {
            guard (1...most).contains(steps) else { throw InputError("--steps \(steps)", "must be 1…\(most)") }
            self.steps = steps
            self.epochs = nil
            timeBudgetSeconds = nil
        } else if let epochs {
            guard epochs >= 1, let total = Checked.product(epochs, stepsPerEpoch), total <= most else {
                throw InputError("--epochs \(epochs)", "must be at least 1, and epochs × \(stepsPerEpoch) steps per epoch at most \(most) steps")
            }
            self.steps = total
            self.epochs = epochs
            timeBudgetSeconds = nil
        } else if let time {
            self.steps = RunConfiguration.mostSteps
            self.epochs = nil
            timeBudgetSeconds = time.seconds
        }
    }
}
