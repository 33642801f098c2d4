import Foundation
import PatchTrain

/// What recomputation costs: the extra FLOPs of a plan against the same configuration without it.
enum RecomputationCost {
    static func percent(_ plan: MemoryPlan, _ planner: MemoryPlanner) -> String {
        let without = planner.plan(patch: plan.patch, microBatch: plan.microBatch, budget: plan.budgetBytes, recomputation: false)
        return String(format: "%.0f%%", (plan.flopsPerMicroStep / without.flopsPerMicroStep - 1) * 100)
    }
}
