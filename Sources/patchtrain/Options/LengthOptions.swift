import ArgumentParser
import PatchTrain

/// How long `fit` trains: a number of steps, of epochs, or a wall-clock budget (alternatives). On `--resume`,
/// a new total length for the run.
struct LengthOptions: ParsableArguments {
    @Option(name: .long, help: "Total optimizer steps (default 100 when no --epochs or --time is given).")
    var steps: Int?

    @Option(name: .long, help: "Total epochs instead of --steps (an epoch: steps whose patches hold the training set's voxels).")
    var epochs: Int?

    @Option(name: .long, help: ArgumentHelp(
        "Wall-clock budget for the whole command (90s, 45m, 2h, 1h30m): the schedule and the curriculum are laid over it; the run ends with a final validation and its checkpoints inside it. With --resume: the run's total budget.",
        valueName: "duration"))
    var time: TimeBudget?

    func validate() throws {
        if [steps != nil, epochs != nil, time != nil].filter({ $0 }).count > 1 {
            throw ValidationError("give one of --steps, --epochs and --time")
        }
        if let steps { try OptionRange.check("--steps", steps, in: 1...RunConfiguration.mostSteps) }
        if let epochs { try OptionRange.check("--epochs", epochs, in: 1...RunConfiguration.mostSteps) }
    }
}
