import ArgumentParser
import PatchTrain

/// What the planner is told besides the budget, shared by `plan` and `fit` (which plans when given no `--plan`).
struct PlanningOptions: ParsableArguments {
    @Option(name: .long, help: "Effective batch: ranks × micro-batch × accumulation steps (default 2 per rank).")
    var batch: Int?

    @Option(name: .long, help: "Normalisation after each convolution (default batch).")
    var norm: NormalizationKind?

    @Option(name: .long, help: ArgumentHelp("Fix the patch (XxYxZ, multiples of 16) instead of searching.", valueName: "XxYxZ"))
    var patch: Extent3?

    @Flag(name: .long, help: "Recompute each block's first convolution in the backward pass (activation checkpointing): less memory, about +17% compute.")
    var recompute = false

    var effectiveBatch: Int { batch ?? 2 }
    var normalization: NormalizationKind { norm ?? .batch }

    /// The options given, by flag, for commands that must refuse them (`fit --resume`).
    var given: [String] {
        [("--batch", batch != nil), ("--norm", norm != nil), ("--patch", patch != nil), ("--recompute", recompute)]
            .filter(\.1).map(\.0)
    }

    func validate() throws {
        if let batch { try OptionRange.check("--batch", batch, in: PlanLimits.effectiveBatch) }
        if let patch { try OptionRange.check("--patch", patch) }
    }
}
