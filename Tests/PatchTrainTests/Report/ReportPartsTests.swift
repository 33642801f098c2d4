import Foundation
@testable import PatchTrain
import Testing

/// The report's pieces that are plain data: the memory bar and the command that trains the run again.
struct ReportPartsTests {
    static func plan() -> MemoryPlan {
        let planner = MemoryPlanner(configuration: UNetConfiguration(), volume: Extent3(64, 64, 48), effectiveBatch: 1,
                                    fixed: FixedMemory(runtimeBytes: 20 << 20, source: "test"), workspaceBytes: KernelWorkspace.bytes)
        return planner.plan(patch: Extent3(32, 32, 32), microBatch: 1, budget: 1 << 30)
    }

    @Test func theMemoryBarAddsUpToThePlanAndFitsBudgetAndPeak() {
        let plan = Self.plan()
        let bar = MemoryBar(plan: plan, measuredPeakBytes: 300 << 20)
        #expect(bar.categories.reduce(0) { $0 + $1.bytes } == plan.predictedPeakBytes)
        #expect(bar.categories.first?.bytes == 20 << 20)
        #expect(bar.percent(plan.budgetBytes) < 100 && bar.percent(300 << 20) < bar.percent(plan.budgetBytes))
        #expect(abs(bar.percent(bar.scaleBytes) - 100) < 1e-9)
        #expect(bar.html.contains("budget 1.0 GiB"))
    }

    @Test func theCommandRepeatsEverySettingWithTheRunsPlan() {
        var configuration = RunConfiguration(data: "my data", cases: ["a", "b"], steps: 60, stepsPerEpoch: 5, learningRate: 0.002,
                                             schedule: .poly, loss: .diceCrossEntropy, augmentation: nil, seed: 9, effectiveBatch: 2,
                                             budgetBytes: 1 << 30, checkpointEvery: 50)
        configuration.validationCases = ["c"]
        configuration.validationSplit = "1"
        configuration.validationEvery = 20
        let line = ReproducingCommand.line(configuration: configuration, run: RunFiles("runs/one/"))
        #expect(line == "patchtrain fit --data 'my data' --plan runs/one/plan.json --steps 60 --lr 0.002 --schedule poly --loss dice+ce "
                + "--no-augment --seed 9 --checkpoint-every 50 --validation 1 --val-every 20 --out runs/one-again")
        configuration.epochs = 12
        configuration.augmentation = .standard
        let words = ReproducingCommand.arguments(configuration: configuration, run: RunFiles("r"))
        #expect(words.contains("--epochs") && !words.contains("--steps") && !words.contains("--no-augment"))
    }
}
