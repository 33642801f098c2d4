import Foundation
import Testing
@testable import PatchTrain

/// A run interrupted by a checkpoint and continued by a new trainer ends with the same bits as one that ran
/// straight through. The kernels are deterministic only when no other test runs them meanwhile (OpenBLAS's
/// thread count is global): hence `.kernelExclusive`, not just `.serialized`.
@Suite(.serialized, .kernelExclusive) struct TrainerResumeTests {
    /// Accumulation 2 (so the step's two micro-batches and the running statistics are both exercised),
    /// augmentation on (its generator must be saved), a poly schedule (its position must be saved).
    static func options(totalSteps: Int) -> TrainingOptions {
        TrainingOptions(seed: 21, learningRate: 3e-3, schedule: .poly, totalSteps: totalSteps, loss: .diceCrossEntropy,
                        augmentation: .standard, stepsPerEpoch: 3)
    }

    @Test func fourStepsStraightEqualTwoCheckpointedPlusTwoResumed() throws {
        let folder = TemporaryFolder()
        let cases = try TrainingFixtures.smallTumourCases(in: folder)
        let cache = try ForegroundIndexCache(folder: folder.file("fg"))
        let plan = TinyTraining.plan(microBatch: 1, accumulation: 2)

        let straight = try Trainer(plan: plan, cases: cases, options: TrainerResumeTests.options(totalSteps: 4), indexCache: cache)
        var straightLosses: [Double] = []
        for _ in 0..<4 { straightLosses.append(try straight.step()) }
        straight.stop()

        let first = try Trainer(plan: plan, cases: cases, options: TrainerResumeTests.options(totalSteps: 4), indexCache: cache)
        var resumedLosses: [Double] = []
        for _ in 0..<2 { resumedLosses.append(try first.step()) }
        let checkpoint = folder.file("run/last")
        try FileManager.default.createDirectory(atPath: folder.file("run"), withIntermediateDirectories: true)
        try first.saveCheckpoint(to: checkpoint)
        first.stop()

        let second = try Trainer(plan: plan, cases: cases, options: TrainerResumeTests.options(totalSteps: 4), indexCache: cache,
                                 resumingFrom: checkpoint)
        #expect(second.completedSteps == 2)
        #expect(second.optimizer.step == 2)
        #expect(second.state.sampler == first.state.sampler)
        for _ in 0..<2 { resumedLosses.append(try second.step()) }
        second.stop()

        #expect(resumedLosses == straightLosses)
        let a = TinyTraining.snapshot(straight.parameters), b = TinyTraining.snapshot(second.parameters)
        #expect(a.difference(from: b) == nil)
        #expect(straight.optimizer == second.optimizer)
        #expect(straight.state == second.state)
        #expect(second.state.epoch == 1)
        // And the run did move: a test that compares two untrained networks would pass vacuously.
        let untrained = try Trainer(plan: plan, cases: cases, options: TrainerResumeTests.options(totalSteps: 4), indexCache: cache)
        untrained.stop()
        #expect(TinyTraining.snapshot(untrained.parameters).difference(from: a) != nil)
    }

    @Test func aCheckpointLoadsBackExactly() throws {
        let folder = TemporaryFolder()
        let cases = try TrainingFixtures.smallTumourCases(in: folder)
        let plan = TinyTraining.plan(microBatch: 1, accumulation: 1)
        let trainer = try Trainer(plan: plan, cases: cases, options: TrainerResumeTests.options(totalSteps: 3),
                                  indexCache: try ForegroundIndexCache(folder: folder.file("fg")))
        _ = try trainer.step()
        trainer.best = BestMetric(name: "dice", value: 0.25, higherIsBetter: true, step: 1)
        try trainer.saveCheckpoint(to: folder.file("last"))
        trainer.stop()

        let store = ParameterStore(specs: trainer.graph.parameters)
        let (optimizer, state) = try Checkpoint.load(from: folder.file("last"), into: store)
        #expect(optimizer == trainer.optimizer)
        #expect(state == trainer.state)
        #expect(state.best?.value == 0.25)
        #expect(state.schedule.step == 1 && state.schedule.schedule == .poly && state.schedule.totalSteps == 3)
        #expect(state.sampler.augmentation != nil)
        #expect(TinyTraining.snapshot(trainer.parameters).difference(from: TinyTraining.snapshot(store)) == nil)
    }
}
