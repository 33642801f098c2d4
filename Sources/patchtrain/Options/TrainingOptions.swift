import ArgumentParser
import PatchTrain

/// `fit`'s settings of a new run: what its config.json records, so a resumed run takes none of them.
struct TrainingOptions: ParsableArguments {
    @Option(name: .long, help: "Adam learning rate (default 2e-3; the Keras user's: 1e-4).")
    var lr: Float?

    @Option(name: .long, help: "Learning-rate schedule, over the run's steps or its --time (default poly; the Keras user's: constant).")
    var schedule: LearningRateSchedule?

    @Option(name: .long, help: "Loss (default dice+ce; the Keras user's: dice).")
    var loss: SegmentationLoss?

    @Flag(name: .customLong("no-augment"), help: "Train on patches as sampled (no flips, no intensity changes).")
    var noAugment = false

    @Option(name: .long, help: "Run folder (default patchtrain-run).")
    var out: String?

    @Option(name: .long, help: "Random seed: weights, patches, augmentation (default 0).")
    var seed: UInt64?

    @Option(name: .customLong("checkpoint-every"), help: "Also save last/ every N steps (0: only at the end; default 50).")
    var checkpointEvery: Int?

    @Option(name: .long, help: ArgumentHelp("Validation cases: a count (2) or share (0.2, 20%) set aside; default: a manifest's own list, else none.",
                                            valueName: "n|share"))
    var validation: SplitArgument?

    @Option(name: .customLong("val-every"), help: "Validate every K steps, and after the last (default: once per epoch).")
    var valEvery: Int?

    /// The options given, by flag, for `fit --resume` to refuse.
    var given: [String] {
        [("--lr", lr != nil), ("--schedule", schedule != nil), ("--loss", loss != nil), ("--no-augment", noAugment),
         ("--seed", seed != nil), ("--out", out != nil), ("--checkpoint-every", checkpointEvery != nil),
         ("--validation", validation != nil), ("--val-every", valEvery != nil)].filter(\.1).map(\.0)
    }

    func validate() throws {
        if let lr, !(lr > 0 && lr.isFinite) { throw ValidationError("--lr must be a positive number") }
        if let checkpointEvery, checkpointEvery < 0 { throw ValidationError("--checkpoint-every must be 0 or more") }
        if let valEvery, valEvery < 1 { throw ValidationError("--val-every must be at least 1") }
    }
}
