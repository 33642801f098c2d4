import Foundation
import Testing
@testable import PatchTrain

@Suite struct StepProfileTests {
    @Test func measuresIntoEntriesAndSumsByKind() {
        #expect(StepProfile.measure(nil, "x", .loss) { 7 } == 7)
        let profile = StepProfile()
        #expect(profile.formatted() == "no step profiled\n")
        for _ in 0..<2 {
            StepProfile.measure(profile, "a", .convolutionForward, flops: 1e9, bytes: 10) { usleep(2000) }
            StepProfile.measure(profile, "b", .convolutionForward, flops: 3e9) {}
            StepProfile.measure(profile, "a", .normalization, bytes: 100) {}
        }
        profile.completeStep(seconds: 1)
        #expect(profile.entries.map(\.name) == ["a", "b", "a"])
        #expect(profile.entries.allSatisfy { $0.calls == 2 })
        #expect(profile.entries[0].seconds >= 0.004)
        let forward = profile.byWork.first { $0.work == .convolutionForward }
        #expect(forward?.flops == 8e9 && forward?.calls == 1)
        #expect(abs((forward?.seconds ?? 0) - profile.entries[0].seconds - profile.entries[1].seconds) < 1e-12)
        #expect(profile.byWork.map(\.work) == [.convolutionForward, .normalization])
        let text = profile.formatted()
        #expect(text.contains("a (convolution forward)") && text.contains("b (convolution forward)"))
        #expect(text.contains("by kind") && text.contains("GFLOP/s"))
    }

    /// A profiled training step names every operation of its graph once per micro-batch, splits each
    /// convolution's backward into its kinds, and adds the optimizer and the wait for data.
    @Test(.kernelExclusive) func aTrainerProfilesEveryOperation() throws {
        let folder = TemporaryFolder()
        let cases = try TrainingFixtures.smallTumourCases(in: folder)
        let plan = TinyTraining.plan(microBatch: 1, accumulation: 2)
        let trainer = try Trainer(plan: plan, cases: cases, options: TrainerResumeTests.options(totalSteps: 2))
        let profile = StepProfile()
        trainer.profile = profile
        _ = try trainer.step()
        trainer.stop()
        #expect(profile.steps == 1 && profile.stepSeconds > 0)
        let graph = LayerGraph(configuration: plan.configuration, patch: plan.patch, microBatch: plan.microBatch,
                               recomputation: plan.recomputation)
        let names = Set(profile.entries.map(\.name))
        #expect(graph.operations.allSatisfy { names.contains($0.name) })
        let works = Set(profile.entries.map(\.work))
        #expect(works.isSuperset(of: [.convolutionForward, .convolutionInputGradient, .convolutionWeightGradient,
                                      .normalization, .pooling, .upsampling, .head, .loss, .optimizer, .dataWait]))
        #expect(profile.entries.filter { $0.work == .dataWait || $0.work == .convolutionForward }.allSatisfy { $0.calls == 2 })
        #expect(profile.entries.first { $0.work == .optimizer }?.calls == 1)
        #expect(profile.profiledSeconds <= profile.stepSeconds)
    }
}
