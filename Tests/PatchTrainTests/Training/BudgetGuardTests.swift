import Foundation
import Testing
@testable import PatchTrain

/// The budget is a promise kept by planning; should a run ever go over it (here a plan edited to a budget below
/// what the process already holds), `fit` saves `last/` and stops with exit 1 and one line saying by how much,
/// rather than run on into the OOM killer.
@Suite(.serialized) struct BudgetGuardTests {
    @Test func aRunOverItsBudgetSavesAndExitsOne() throws {
        let setup = try FitResumeCommandTests.Setup()
        var plan = TinyTraining.plan(microBatch: 1, accumulation: 2, volume: Extent3(32, 32, 32))
        plan.budgetBytes = 8 << 20
        #expect(plan.predictedPeakBytes > plan.budgetBytes, "the plan itself says it does not fit")
        try TinyTraining.writePlan(plan, to: setup.plan)

        let result = try CLIRunner.run(setup.fit("run", ["--steps", "5"]))
        #expect(result.status == 1, "stderr: \(result.stderr)")
        let errors = result.stderr.split(separator: "\n").filter { !$0.contains("\r") && $0.contains("error") }
        #expect(errors.count == 1, "one error line: \(result.stderr)")
        #expect(result.stderr.contains("went over the budget 8.0 MiB at step 1"), "\(result.stderr)")
        #expect(result.stderr.contains("saved \(setup.folder.file("run/last"))"), "\(result.stderr)")
        let state = try setup.loadLast("run")
        #expect(state.step == 1, "last/ is the step the guard stopped after")
        #expect(setup.metricsSteps("run") == [1])
    }
}
