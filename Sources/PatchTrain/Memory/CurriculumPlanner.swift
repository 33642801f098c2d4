/// The planner's curriculum: the final stage is the plan `choose` makes (the largest patch that fits the memory
/// budget and the time allowance, or the fixed patch), and each earlier stage takes the largest micro-batch whose
/// step, with the stages before it, keeps the run's peak inside the budget. The arena and the data pipeline are
/// then allocated once for the most demanding stage, so every stage runs inside the memory the plan promised.
extension MemoryPlanner {
    /// `choose`, then the curriculum ending at its plan.
    public func chooseCurriculum(budget: Int, patch fixedPatch: Extent3? = nil, recomputation: Bool = false,
                                 time: TimeAllowance? = nil) -> Outcome {
        switch choose(budget: budget, patch: fixedPatch, recomputation: recomputation, time: time) {
        case .tooSmall(let smallest): return .tooSmall(smallest: smallest)
        case .fits(let final): return .fits(curriculum(ending: final))
        }
    }

    /// `final` with the stages of `CurriculumRule` before it (unchanged when the rule gives one stage).
    public func curriculum(ending final: MemoryPlan) -> MemoryPlan {
        let patches = CurriculumRule.patches(final: final.patch, multiple: configuration.patchMultiple)
        guard patches.count > 1 else { return final }
        var chosen: [(patch: Extent3, microBatch: Int, accumulation: Int)] = []
        for patch in patches.dropLast() {
            let batch = CurriculumRule.batch(effectiveBatch: effectiveBatch, stageVoxels: patch.volume, finalVoxels: final.patch.volume)
            var best: (patch: Extent3, microBatch: Int, accumulation: Int)?
            for microBatch in (1...batch).filter({ batch % $0 == 0 }) {
                let candidate = chosen + [(patch, microBatch, batch / microBatch)]
                if staged(final, candidate).predictedPeakBytes <= final.budgetBytes { best = (patch, microBatch, batch / microBatch) }
            }
            if let best { chosen.append(best) }
        }
        return staged(final, chosen)
    }

    /// `final` with `earlier` stages before it, shares by the rule, validation counted in the larger arena.
    private func staged(_ final: MemoryPlan, _ earlier: [(patch: Extent3, microBatch: Int, accumulation: Int)]) -> MemoryPlan {
        guard !earlier.isEmpty else { return final }
        let shares = CurriculumRule.shares(count: earlier.count + 1)
        var stages = earlier.enumerated().map { index, stage in
            let plan = self.plan(patch: stage.patch, microBatch: stage.microBatch, budget: final.budgetBytes,
                                 recomputation: final.recomputation)
            var result = CurriculumStage(plan: plan, share: shares[index])
            result.accumulationSteps = stage.accumulation
            return result
        }
        stages.append(CurriculumStage(plan: final, share: shares[earlier.count]))
        var plan = final
        plan.stages = stages
        plan.persistent = final.persistent.countingMicroBatchSum(stages.contains { $0.accumulationSteps > 1 })
        plan.validationBytes = ValidationMemory(plan: plan).extraBytes
        return plan
    }
}
