import ArgumentParser
import Foundation
import PatchTrain

/// `patchtrain fit`: trains under a memory plan in a run folder, or continues one with `--resume`. The loop, the
/// checkpoints and the run folder are the library's `TrainingRun`; this is the edge: options, the plan choice,
/// signals, progress and the exit code.
struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the U-Net on a dataset under a RAM budget planned ahead of time.",
        discussion: """
            Writes RUN_DIR/plan.json, config.json, metrics.jsonl, metrics.csv and last/ (weights.safetensors with \
            PyTorch state_dict names, optimizer.zst, state.json). SIGINT/SIGTERM finish the current step, save last/ \
            and exit 130/143; `fit --resume RUN_DIR` continues exactly where it stopped.
            """)

    @Option(name: .long, help: "Dataset folder or manifest (with --resume: where the run's dataset is now).")
    var data: String?

    @Option(name: .long, help: "Continue the run in this folder from its last/ checkpoint.")
    var resume: String?

    @Option(name: .long, help: "Budget for the whole process's peak RSS (8G, 512M). Default: the memory available.")
    var ram: String?

    @Option(name: .long, help: "A plan written by `patchtrain plan --out` (instead of --ram).")
    var plan: String?

    @Option(name: .long, help: "Total optimizer steps (default 100).")
    var steps: Int?

    @Option(name: .long, help: "Total epochs instead of --steps (an epoch: steps whose patches hold the training set's voxels).")
    var epochs: Int?

    @Option(name: .long, help: "Effective batch (micro-batch × accumulation steps) when planning here (default 2).")
    var batch: Int?

    @Option(name: .long, help: "Adam learning rate (default 1e-4).")
    var lr: Float?

    @Option(name: .long, help: "Learning-rate schedule: constant, poly or cosine (default constant).")
    var schedule: String?

    @Option(name: .long, help: "Loss: dice, ce or dice+ce (default dice).")
    var loss: String?

    @Flag(name: .customLong("no-augment"), help: "Train on patches as sampled (no flips, no intensity changes).")
    var noAugment = false

    @Option(name: .long, help: "Normalisation when planning here: batch or instance (default batch).")
    var norm: String?

    @Flag(name: .long, help: "Plan with per-block recomputation (less memory, about +17% compute).")
    var recompute = false

    @Option(name: .long, help: "Run folder (default patchtrain-run).")
    var out: String?

    @Option(name: .long, help: "Random seed: weights, patches, augmentation (default 0).")
    var seed: UInt64?

    @Option(name: .customLong("checkpoint-every"), help: "Also save last/ every N steps (0: only at the end; default 50).")
    var checkpointEvery: Int?

    @Option(name: .long, help: "Validation cases: a count (2) or share (0.2, 20%) set aside; default: a manifest's own list, else none.")
    var validation: String?

    @Option(name: .customLong("val-every"), help: "Validate every K steps, and after the last (default: once per epoch).")
    var valEvery: Int?

    @Option(name: .long, help: "Fix the patch (XxYxZ, multiples of 16) when planning here instead of searching.")
    var patch: String?

    @Flag(name: .long, help: "Print the summary as JSON on stdout.")
    var json = false

    func validate() throws {
        if ram != nil && plan != nil { throw ValidationError("give --ram or --plan, not both") }
        if steps != nil && epochs != nil { throw ValidationError("give --steps or --epochs, not both") }
        if let ram, ByteCount.parse(ram) == nil { throw ValidationError("--ram '\(ram)' is not a size (examples: 8G, 512M)") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1") }
        if let lr, !(lr > 0 && lr.isFinite) { throw ValidationError("--lr must be a positive number") }
        if let norm, NormalizationKind(rawValue: norm) == nil { throw ValidationError("--norm must be batch or instance") }
        if let schedule, LearningRateSchedule(rawValue: schedule) == nil { throw ValidationError("--schedule must be constant, poly or cosine") }
        if let loss, FitOptions.loss(loss) == nil { throw ValidationError("--loss must be dice, ce or dice+ce") }
        if let checkpointEvery, checkpointEvery < 0 { throw ValidationError("--checkpoint-every must be 0 or more") }
        if let validation, ValidationSplit(parsing: validation) == nil { throw ValidationError("--validation '\(validation)' is not a count or a share") }
        if let valEvery, valEvery < 1 { throw ValidationError("--val-every must be at least 1") }
        if let patch, Extent3(parsing: patch) == nil { throw ValidationError("--patch '\(patch)' is not XxYxZ") }
        if patch != nil && plan != nil { throw ValidationError("give --patch or --plan, not both") }
        if let resume {
            // A resumed run keeps its settings (config.json); only its length and its data's location may change.
            let fixed: [(String, Bool)] = [("--ram", ram != nil), ("--plan", plan != nil), ("--batch", batch != nil), ("--lr", lr != nil),
                                           ("--schedule", schedule != nil), ("--loss", loss != nil), ("--no-augment", noAugment),
                                           ("--norm", norm != nil), ("--recompute", recompute), ("--seed", seed != nil),
                                           ("--out", out != nil), ("--checkpoint-every", checkpointEvery != nil),
                                           ("--validation", validation != nil), ("--val-every", valEvery != nil), ("--patch", patch != nil)]
            if let given = fixed.first(where: \.1) {
                throw ValidationError("\(given.0) cannot be given with --resume: \(resume)/config.json fixes the run's settings (only --steps, --epochs and --data may change)")
            }
        } else if data == nil {
            throw ValidationError("give --data (or --resume RUN_DIR)")
        }
    }

    func run() throws {
        let stop = StopRequest()
        let signals = SignalTrap(stop: stop)
        let run: TrainingRun
        if let resume {
            run = try TrainingRun.resume(resume, data: data, steps: steps, epochs: epochs, indexCache: try ForegroundIndexCache(),
                                         stopRequest: stop)
        } else {
            run = try startRun(stop: stop)
        }
        let report = FitProgress(run: run)
        run.onStep = report.update
        run.onValidationStart = report.validationStarted
        run.onValidationProgress = report.validationProgressed
        let outcome = try run.run()
        report.finish()
        signals.cancel()
        switch outcome {
        case .completed:
            try report.printSummary(json: json)
        case .stopped(let signal):
            Terminal.printError("patchtrain: stopped by \(SignalTrap.name(signal)) after step \(run.trainer.completedSteps) of \(run.configuration.steps); saved \(run.folder.lastPath); continue with: patchtrain fit --resume \(run.folder.path)")
            Foundation.exit(128 + signal)
        }
    }

    private func startRun(stop: StopRequest) throws -> TrainingRun {
        let data = data!
        let dataset = try Dataset(path: data, split: validation.flatMap(ValidationSplit.init(parsing:)))
        let split = try dataset.openSplit()
        let cases = split.training
        // The plan covers the largest volume of either split: validation infers whole volumes.
        let geometry = try DatasetGeometry(cases: cases + split.validation, dataset: dataset)
        let chosen = try FitOptions.choosePlan(plan: plan, ram: ram, patch: patch.flatMap(Extent3.init(parsing:)), geometry: geometry,
                                               batch: batch ?? 2, normalization: NormalizationKind(rawValue: norm ?? "batch")!,
                                               recompute: recompute)
        var configuration = RunConfiguration(
            data: data, cases: cases.map(\.id), steps: 100,
            stepsPerEpoch: RunConfiguration.stepsPerEpoch(trainingVoxels: cases.reduce(0) { $0 + $1.image.shape.spatial.volume }, plan: chosen),
            learningRate: lr ?? 1e-4, schedule: LearningRateSchedule(rawValue: schedule ?? "constant")!,
            loss: FitOptions.loss(loss ?? "dice")!, augmentation: noAugment ? nil : .standard, seed: seed ?? 0,
            effectiveBatch: chosen.effectiveBatch, budgetBytes: chosen.budgetBytes, checkpointEvery: checkpointEvery ?? 50)
        configuration.setLength(steps: steps, epochs: epochs)
        configuration.validationCases = split.validation.map(\.id)
        configuration.validationSplit = validation
        configuration.validationEvery = split.validation.isEmpty ? nil : (valEvery ?? configuration.stepsPerEpoch)
        return try TrainingRun.start(in: out ?? "patchtrain-run", plan: chosen, cases: cases, validationCases: split.validation,
                                     configuration: configuration,
                                     indexCache: try ForegroundIndexCache(), stopRequest: stop)
    }
}
