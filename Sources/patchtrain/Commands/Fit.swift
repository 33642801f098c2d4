import ArgumentParser
import Foundation
import PatchTrain

/// `patchtrain fit`: trains under a memory plan in a run folder, or continues one with `--resume`. The loop, the
/// checkpoints and the run folder are the library's `TrainingRun`; this is the edge: options, signals, progress
/// and the exit code.
struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the U-Net on a dataset under a RAM budget planned ahead of time.",
        discussion: """
            Writes RUN_DIR/plan.json, config.json, metrics.jsonl, metrics.csv, last/ (weights.safetensors with \
            PyTorch state_dict names, optimizer.zst, state.json) and, with validation, best/. SIGINT/SIGTERM finish \
            the current step, save last/ and exit 130/143; `fit --resume RUN_DIR` continues exactly where it stopped. \
            Under `mpirun -np N` (or `srun`) the N ranks train data-parallel: each samples its share of the patches, \
            gradients are summed, rank 0 writes RUN_DIR.
            """)

    @Option(name: .long, help: "Dataset folder or manifest (with --resume: where the run's dataset is now).")
    var data: String?

    @Option(name: .long, help: "Continue the run in this folder from its last/ checkpoint.")
    var resume: String?

    @Option(name: .long, help: "A plan written by `patchtrain plan --out` (instead of --ram).")
    var plan: String?

    @OptionGroup(title: "Length") var length: LengthOptions
    @OptionGroup(title: "Budget") var budget: BudgetOptions
    @OptionGroup(title: "Planning here (without --plan)") var planning: PlanningOptions
    @OptionGroup(title: "Training") var training: TrainingOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if budget.ram != nil && plan != nil { throw ValidationError("give --ram or --plan, not both") }
        if planning.patch != nil && plan != nil { throw ValidationError("give --patch or --plan, not both") }
        if let resume {
            // A resumed run keeps its settings (config.json); only its length and its data's location may change.
            let fixed = (budget.ram != nil ? ["--ram"] : []) + (plan != nil ? ["--plan"] : []) + planning.given + training.given
            if let given = fixed.first {
                throw ValidationError("\(given) cannot be given with --resume: \(resume)/config.json fixes the run's settings (only --steps, --epochs, --time and --data may change)")
            }
        } else if data == nil {
            throw ValidationError("give --data (or --resume RUN_DIR)")
        }
    }

    func run() throws {
        let clock = WallClock()
        let world = try World.join()
        let stop = StopRequest()
        let signals = SignalTrap(stop: stop)
        let run = try resume.map {
            try TrainingRun.resume($0, data: data, steps: length.steps, epochs: length.epochs, time: length.time,
                                   indexCache: try ForegroundIndexCache(), stopRequest: stop, communicator: world, clock: clock)
        } ?? FitStart.run(data: data!, planFile: plan, budget: budget, planning: planning, training: training,  // validate() asks for --data
                          length: length, stop: stop, communicator: world, clock: clock)
        // Rank 0 speaks for a data-parallel run; the others train in silence.
        let progress = world.isRoot ? FitProgress(run: run) : nil
        let outcome = try run.run()
        progress?.finish()
        signals.cancel()
        switch outcome {
        case .completed:
            if let progress { try output.print(progress.summary) }
        case .stopped(let signal):
            if world.isRoot {
                Terminal.printError("patchtrain: stopped by \(SignalTrap.name(signal)) after step \(run.trainer.completedSteps)\(run.lengthSoFar); saved \(run.folder.lastPath); continue with: patchtrain fit --resume \(run.folder.path)")
            }
            world.finish()
            Foundation.exit(128 + signal)
        }
    }
}
