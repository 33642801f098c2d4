import Foundation
import PatchTrain

/// What `plan` prints: the chosen configuration, the bytes by category and level, where the peak happens,
/// the neighbouring patches and a predicted step time.
struct PlanReport: CommandSummary {
    let plan: MemoryPlan
    let budgetSource: String
    /// Expected training throughput (FLOP/s), for the step-time estimate.
    let trainingFLOPS: Double
    /// The time allowance the patch was chosen under (`--time`), and the patch memory alone would have allowed
    /// when the time chose a smaller one.
    let time: TimeAllowance?
    let memoryPatch: Extent3?
    let larger: MemoryPlan?
    let smaller: MemoryPlan?
    /// A larger configuration that recomputation would fit in the same budget, and its extra compute.
    let lever: MemoryPlan?
    let leverCost: String?
    /// Extra compute of this plan's own recomputation, when it uses it.
    let recomputationCost: String?

    /// `patchFixed`: the user chose the patch, so no other configuration is offered as the lever.
    init(plan: MemoryPlan, planner: MemoryPlanner, budgetSource: String, trainingFLOPS: Double, time: TimeAllowance?,
         patchFixed: Bool) {
        self.plan = plan
        self.time = time
        var memoryPatch: Extent3?
        if time != nil, !patchFixed, case .fits(let alone) = planner.choose(budget: plan.budgetBytes, recomputation: plan.recomputation),
           alone.patch != plan.patch {
            memoryPatch = alone.patch
        }
        self.memoryPatch = memoryPatch
        var lever: MemoryPlan?
        if !plan.recomputation, !patchFixed, case .fits(let alternative) = planner.choose(budget: plan.budgetBytes, recomputation: true),
           alternative.patch.volume * alternative.microBatch > plan.patch.volume * plan.microBatch {
            lever = alternative
        }
        self.lever = lever
        leverCost = lever.map { planner.recomputationCost(of: $0) }
        recomputationCost = plan.recomputation ? planner.recomputationCost(of: plan) : nil
        self.budgetSource = budgetSource
        self.trainingFLOPS = trainingFLOPS
        let candidates = PatchCandidates.descending(volume: plan.volume, multiple: plan.configuration.patchMultiple)
        let index = candidates.firstIndex(of: plan.patch)
        larger = index.flatMap {
            $0 > 0 ? planner.plan(patch: candidates[$0 - 1], microBatch: 1, budget: plan.budgetBytes, recomputation: plan.recomputation) : nil
        }
        smaller = index.flatMap {
            $0 + 1 < candidates.count
                ? planner.plan(patch: candidates[$0 + 1], microBatch: plan.microBatch, budget: plan.budgetBytes, recomputation: plan.recomputation)
                : nil
        }
    }

    var stepSeconds: Double { plan.flopsPerStep / trainingFLOPS }

    /// One row per curriculum stage (one for a single-patch plan), as the JSON carries them.
    struct StageRow: Encodable {
        let patch: Extent3
        let microBatch: Int
        let accumulationSteps: Int
        let share: Double
        let predictedPeakBytes: Int
        let predictedStepSeconds: Double
        let setsPeak: Bool
    }

    var stageRows: [StageRow] {
        let demanding = plan.demandingStageIndex
        return plan.curriculumStages.enumerated().map { index, stage in
            StageRow(patch: stage.patch, microBatch: stage.microBatch, accumulationSteps: stage.accumulationSteps, share: stage.share,
                     predictedPeakBytes: plan.stagePeakBytes(index),
                     predictedStepSeconds: stage.flopsPerStep / trainingFLOPS,
                     setsPeak: index == demanding)
        }
    }

    /// The JSON: the plan plus what a script wants without recomputing it.
    private enum CodingKeys: String, CodingKey {
        case plan, predictedPeakBytes, headroomBytes, budgetSource, largerPatch, largerPatchPeakBytes, smallerPatch,
             smallerPatchPeakBytes, trainingGFLOPS, predictedStepSeconds, stages,
             longestStepSeconds, memoryPatch
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(plan, forKey: .plan)
        try c.encode(plan.predictedPeakBytes, forKey: .predictedPeakBytes)
        try c.encode(plan.headroomBytes, forKey: .headroomBytes)
        try c.encode(budgetSource, forKey: .budgetSource)
        try c.encodeIfPresent(larger?.patch, forKey: .largerPatch)
        try c.encodeIfPresent(larger?.predictedPeakBytes, forKey: .largerPatchPeakBytes)
        try c.encodeIfPresent(smaller?.patch, forKey: .smallerPatch)
        try c.encodeIfPresent(smaller?.predictedPeakBytes, forKey: .smallerPatchPeakBytes)
        try c.encode(trainingFLOPS / 1e9, forKey: .trainingGFLOPS)
        try c.encodeIfPresent(time?.longestStepSeconds, forKey: .longestStepSeconds)
        try c.encodeIfPresent(memoryPatch, forKey: .memoryPatch)
        try c.encode(stepSeconds, forKey: .predictedStepSeconds)
        try c.encode(stageRows, forKey: .stages)
    }
}
