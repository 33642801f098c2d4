import ArgumentParser
import PatchTrain

/// What the planner is told besides the budget, shared by `plan` and `fit` (which plans when given no `--plan`).
struct PlanningOptions: ParsableArguments {
    @Option(name: .long, help: "Effective batch: ranks × micro-batch × accumulation steps (default 2 per rank).")
    var batch: Int?

    @Option(name: .long, help: "Normalisation after each convolution (default instance; the Keras user's setting: batch).")
    var norm: NormalizationKind?

    @Option(name: .long, help: "Patch-size curriculum: grow from a small patch to the final one in stages planned inside the budget, or none: one patch throughout (default grow).")
    var curriculum: CurriculumChoice?

    @Option(name: .long, help: ArgumentHelp("Fix the patch (XxYxZ, multiples of 16) instead of searching.", valueName: "XxYxZ"))
    var patch: Extent3?

    @Flag(name: .long, help: "Recompute each block's first convolution in the backward pass (activation checkpointing): less memory, about +17% compute.")
    var recompute = false

    var effectiveBatch: Int { batch ?? 2 }
    var normalization: NormalizationKind { norm ?? TrainingDefaults.normalization }
    var grows: Bool { (curriculum ?? .grow) == .grow }

    /// The planner's choice for `budget` (and `time`, for a run given `--time`): with the curriculum's stages
    /// before its final patch unless `--curriculum none`.
    func choose(_ planner: MemoryPlanner, budget: Int, time: TimeAllowance?) -> MemoryPlanner.Outcome {
        grows ? planner.chooseCurriculum(budget: budget, patch: patch, recomputation: recompute, time: time)
            : planner.choose(budget: budget, patch: patch, recomputation: recompute, time: time)
    }

    /// The options given, by flag, for commands that must refuse them (`fit --resume`).
    var given: [String] {
        [("--batch", batch != nil), ("--norm", norm != nil), ("--patch", patch != nil), ("--recompute", recompute),
         ("--curriculum", curriculum != nil)]
            .filter(\.1).map(\.0)
    }

    func validate() throws {
        if let batch { try OptionRange.check("--batch", batch, in: PlanLimits.effectiveBatch) }
        if let patch { try OptionRange.check("--patch", patch) }
    }
}
