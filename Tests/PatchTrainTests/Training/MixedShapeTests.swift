import Foundation
import Testing
@testable import PatchTrain

/// A dataset whose cases differ in shape (as nearly every Medical Segmentation Decathlon task does): the training
/// plan is made for the smallest extent, so the patch fits every case, while validation reads whole volumes up to
/// the largest one and is planned for that. Kernel-exclusive: training in this process shares OpenBLAS's global
/// thread setting with the bit-comparing tests.
@Suite(.serialized, .kernelExclusive) struct MixedShapeTests {
    static let extents = [Extent3(48, 48, 32), Extent3(64, 48, 32), Extent3(48, 64, 48)]

    static func cases(in folder: TemporaryFolder) throws -> [TrainingCase] {
        try extents.enumerated().map { i, extent in
            try TrainingFixtures.writeCase(in: folder, name: "case\(i)", extent: extent, classes: 2,
                                           tumours: [TrainingFixtures.Tumour(label: 1, box: Box3(origin: Extent3(8 + i, 10, 6), size: Extent3(9, 7, 8)))],
                                           labelMap: true)
        }
    }

    static func plan(budget: Int = 1 << 40) -> MemoryPlan {
        // As fit plans: the smallest extent per axis over the cases.
        let planner = MemoryPlanner(configuration: TinyTraining.configuration(classes: 2), volume: Extent3(48, 48, 32), effectiveBatch: 1,
                                    fixed: FixedMemory(runtimeBytes: 40 << 20, source: "test"), workspaceBytes: KernelWorkspace.bytes)
        return planner.plan(patch: Extent3(16, 16, 16), microBatch: 1, budget: budget)
    }

    @Test func validationIsPlannedForTheLargestExtentOnEveryAxis() {
        let plan = Self.plan()
        #expect(plan.validatingExtents(Self.extents.prefix(1)) == plan, "cases within the planned volume change nothing")
        let widened = plan.validatingExtents(Self.extents)
        #expect(widened.validationVolume == Extent3(64, 64, 48))
        #expect(widened.validationBytes! > plan.validationBytes!)
        #expect(widened.predictedPeakBytes > plan.predictedPeakBytes)
        #expect(ValidationMemory(plan: widened).inferencePlan.volume == Extent3(64, 64, 48))
        #expect(widened.volume == plan.volume && widened.patch == plan.patch, "training is planned as before")
    }

    @Test func aDatasetOfMixedShapesTrainsAndValidatesEveryCase() throws {
        let folder = TemporaryFolder()
        let cases = try Self.cases(in: folder)
        let plan = Self.plan()
        var configuration = RunConfiguration(data: folder.path, cases: [cases[0].id], steps: 2, stepsPerEpoch: 1, learningRate: 1e-3,
                                             schedule: .constant, loss: .dice, augmentation: nil, seed: 1, effectiveBatch: 1,
                                             budgetBytes: plan.budgetBytes, checkpointEvery: 0)
        configuration.validationCases = [cases[1].id, cases[2].id]
        configuration.validationEvery = 1
        let run = try TrainingRun.start(in: folder.file("run"), plan: plan, cases: [cases[0]], validationCases: [cases[1], cases[2]],
                                        configuration: configuration)
        #expect(try run.run() == .completed)
        let result = try #require(run.lastValidation)
        #expect(result.caseIDs == ["case1", "case2"])
        #expect(result.casesDice.count == 2 && result.meanDice.allSatisfy { (0...1).contains($0) })
        // plan.json says what the run holds: validation planned for the largest case.
        let written = try run.folder.readPlan()
        #expect(written.validationVolume == Extent3(64, 64, 48))
        #expect(written == plan.validatingExtents(Self.extents.suffix(2)))
    }

    @Test func validationThatDoesNotFitTheBudgetIsRefusedBeforeTraining() throws {
        let folder = TemporaryFolder()
        let cases = try Self.cases(in: folder)
        // A budget the training plan fits exactly, which the larger validation volume then exceeds.
        let plan = Self.plan(budget: Self.plan().predictedPeakBytes)
        var configuration = RunConfiguration(data: folder.path, cases: [cases[0].id], steps: 1, stepsPerEpoch: 1, learningRate: 1e-3,
                                             schedule: .constant, loss: .dice, augmentation: nil, seed: 1, effectiveBatch: 1,
                                             budgetBytes: plan.budgetBytes, checkpointEvery: 0)
        configuration.validationCases = [cases[2].id]
        let error = #expect(throws: InputError.self) {
            _ = try TrainingRun.start(in: folder.file("run"), plan: plan, cases: [cases[0]], validationCases: [cases[2]],
                                      configuration: configuration)
        }
        #expect(error?.file == cases[2].image.path)
        #expect(error?.problem.contains("over the budget") == true, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: folder.file("run")), "nothing is created for a run that cannot start")
    }

    /// The same through `fit`, as a user runs it: the plan made for the smallest extent, validation of the largest.
    @Test func fitTrainsAndValidatesAMixedShapeManifest() throws {
        let folder = TemporaryFolder("patchtrain-mixed")
        _ = try Self.cases(in: folder)
        let entries = (0..<3).map { #"{"id": "case\#($0)", "image": "case\#($0)_image.npy", "mask": "case\#($0)_mask.npy"}"# }
        try #"{"classes": 2, "cases": [\#(entries.joined(separator: ", "))], "validation": ["case2", "case1"]}"#
            .write(toFile: folder.file("manifest.json"), atomically: true, encoding: .utf8)
        try TinyTraining.writePlan(TinyTraining.plan(microBatch: 1, accumulation: 1, classes: 2, volume: Extent3(48, 48, 32)),
                                   to: folder.file("plan.json"))
        let result = try CLIRunner.run(["fit", "--data", folder.file("manifest.json"), "--plan", folder.file("plan.json"),
                                        "--out", folder.file("run"), "--steps", "2", "--val-every", "1", "--no-augment"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let metrics = try String(contentsOfFile: folder.file("run/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(metrics.count == 2 && metrics.allSatisfy { $0.contains("validationDice") }, "\(metrics)")
        #expect(FileManager.default.fileExists(atPath: folder.file("run/best/weights.safetensors")))
    }
}
