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

    public enum Outcome: Equatable, Sendable {
        /// All `configuration.steps` done; `last/` holds the final state.
        case completed
        /// A stop was requested (by `signal`); `last/` holds the state after the last whole step.
        case stopped(signal: Int32)
    }

    private init(folder: RunFolder, configuration: RunConfiguration, plan: MemoryPlan, trainer: Trainer,
                 stopRequest: StopRequest, validationCases: [TrainingCase]) throws {
        validator = validationCases.isEmpty ? nil : try trainer.validator(cases: validationCases)
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
                             communicator: any Communicator = SingleProcess()) throws -> TrainingRun {
        try RunRanks.check(plan: plan, communicator: communicator, source: "the plan")
        let plan = try planningValidation(plan, of: validationCases)
        let folder = communicator.isRoot ? try RunFolder.create(path) : RunFolder.peer(path)
        if communicator.isRoot {
            try folder.writePlan(plan)
            try folder.writeConfiguration(configuration)
        }
        let trainer = try Trainer(plan: plan, cases: cases, options: configuration.trainingOptions, indexCache: indexCache,
                                  communicator: communicator)
        return try TrainingRun(folder: folder, configuration: configuration, plan: plan, trainer: trainer, stopRequest: stopRequest,
                               validationCases: validationCases)
    }

    /// The run in `path`, continued from `last/` under its own `plan.json` and `config.json`. `data` says where the
    /// dataset is now (default: where it was); `steps` or `epochs` set a new total length. Metrics of steps after
    /// the checkpoint (a crash past the last save) are dropped, since those steps run again.
    public static func resume(_ path: String, data: String? = nil, steps: Int? = nil, epochs: Int? = nil,
                              indexCache: ForegroundIndexCache? = nil, stopRequest: StopRequest = StopRequest(),
                              communicator: any Communicator = SingleProcess()) throws -> TrainingRun {
        let folder = communicator.isRoot ? try RunFolder.open(path) : RunFolder.peer(path)
        let savedPlan = try folder.readPlan()
        try RunRanks.check(plan: savedPlan, communicator: communicator, source: folder.planPath)
        var configuration = try folder.readConfiguration()
        if let data { configuration.data = data }
        try configuration.setLength(steps: steps, epochs: epochs)
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
        // Only once the checkpoint has loaded: a resume that fails changes nothing in the folder.
        if communicator.isRoot {
            try folder.writeConfiguration(configuration)
            try RunMetrics.truncate(jsonPath: folder.metricsJSONPath, csvPath: folder.metricsCSVPath, throughStep: trainer.completedSteps)
        }
        return try TrainingRun(folder: folder, configuration: configuration, plan: plan, trainer: trainer, stopRequest: stopRequest,
                               validationCases: split.validation)
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

    /// Trains to `configuration.steps`, or until a stop is requested. See the type's comment for the guarantees.
    public func run() throws -> Outcome {
        defer { trainer.stop() }
        let voxelsPerStep = Double(plan.patch.volume * plan.globalBatch)
        let clock = ContinuousClock()
        while trainer.completedSteps < configuration.steps {
            if let signal = try RunRanks.agreedStop(stopRequest, communicator: communicator) {
                try saveLast()
                return .stopped(signal: signal)
            }
            let rate = trainer.nextLearningRate
            let started = clock.now
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
            let elapsed = clock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let step = trainer.completedSteps
            var record = StepRecord(step: step, epoch: (step - 1) / configuration.stepsPerEpoch + 1, loss: loss,
                                    learningRate: rate, seconds: seconds, voxelsPerSecond: voxelsPerStep / max(seconds, 1e-9),
                                    residentBytes: ProcessMemory.residentBytes, peakResidentBytes: ProcessMemory.peakResidentBytes)
            if let validator, isValidationDue(step) {
                let result: Validator.Result
                do { result = try validate(validator) } catch { throw stopped(by: error) }
                record.validationDice = result.meanDice
                record.validationForegroundDice = result.meanForegroundDice
                record.validationSeconds = result.seconds
                record.peakResidentBytes = ProcessMemory.peakResidentBytes
                lastValidation = result
                if trainer.best?.isImproved(by: result.meanForegroundDice) ?? true {
                    trainer.best = BestMetric(name: "validation mean foreground Dice", value: result.meanForegroundDice,
                                              higherIsBetter: true, step: step)
                    try save(to: folder.bestPath)
                }
            }
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
                                                      predicted: plan.predictedPeakBytes, moment: "at step \(step)"))
            }
            if configuration.checkpointEvery > 0 && step % configuration.checkpointEvery == 0 && step < configuration.steps {
                try saveLast()
            }
        }
        // Nothing to save when a resumed run had nothing left to do: last/ already is this state.
        if trainer.completedSteps > firstStep || AtomicFolder.resolve(folder.lastPath) == nil { try saveLast() }
        return .completed
    }

    /// The last validation's result (nil before any).
    public private(set) var lastValidation: Validator.Result?

    private func isValidationDue(_ step: Int) -> Bool {
        let every = configuration.validationEvery ?? 0
        return step == configuration.steps || (every > 0 && step % every == 0)
    }

    private func validate(_ validator: Validator) throws -> Validator.Result {
        onValidationStart?(validator.totalPasses)
        return try validator.run(afterStep: trainer.completedSteps, progress: { self.onValidationProgress?($0) },
                                 slices: folder.writeValidationSlices)
    }

    /// Saves the trainer's current step boundary as `last/`.
    public func saveLast() throws { try save(to: folder.lastPath) }

    /// Rank 0 writes checkpoints, once every rank's weights are known to be the same.
    private func save(to path: String) throws {
        try trainer.dataParallel.checkAgreement(trainer.parameters, step: trainer.completedSteps)
        if communicator.isRoot { try trainer.saveCheckpoint(to: path) }
    }

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
    /// Sets the run's total length from `--steps` or `--epochs` (at most one; neither leaves it as it is).
    public mutating func setLength(steps: Int?, epochs: Int?) throws {
        precondition(steps == nil || epochs == nil, "give steps or epochs, not both")
        let most = RunConfiguration.mostSteps
        if let steps {
            guard (1...most).contains(steps) else { throw InputError("--steps \(steps)", "must be 1…\(most)") }
            self.steps = steps
            self.epochs = nil
        } else if let epochs {
            guard epochs >= 1, let total = Checked.product(epochs, stepsPerEpoch), total <= most else {
                throw InputError("--epochs \(epochs)", "must be at least 1, and epochs × \(stepsPerEpoch) steps per epoch at most \(most) steps")
            }
            self.steps = total
            self.epochs = epochs
        }
    }
}
