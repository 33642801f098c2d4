import Foundation
import Testing
@testable import PatchTrain

/// Damage the dataset's header checks cannot see, met while sampling: the case's file is named in an
/// `InputError`, the process does not crash, and a trainer that meets it mid-step stays at its last step boundary.
@Suite(.serialized, .kernelExclusive) struct CorruptCaseTests {
    static let extent = Extent3(20, 18, 16)

    /// A good one-hot case and a case whose image holds one NaN, or whose label map holds a label past the classes.
    static func cases(in folder: TemporaryFolder, damage: String) throws -> [TrainingCase] {
        let good = try TrainingFixtures.writeCase(in: folder, name: "good", extent: extent,
                                                  tumours: [.init(label: 1, box: Box3(origin: Extent3(5, 5, 5), size: Extent3(2, 2, 2)))])
        var image = [Float](repeating: 0.5, count: extent.volume)
        var labels = [UInt8](repeating: 0, count: extent.volume)
        labels[100] = 2
        switch damage {
        case "nan": image[(3 * extent.y + 4) * extent.z + 5] = .nan
        case "label": labels[(7 * extent.y + 1) * extent.z + 2] = 9
        default: break
        }
        try NPYWriter.write(image, elementType: .float32, shape: [extent.x, extent.y, extent.z], to: folder.file("bad_image.npy"))
        try NPYWriter.write(labels, elementType: .uint8, shape: [extent.x, extent.y, extent.z], to: folder.file("bad_mask.npy"))
        let bad = TrainingCase(id: "bad", image: try NPYVolume(path: folder.file("bad_image.npy")),
                               mask: try NPYVolume(path: folder.file("bad_mask.npy")))
        return [good, bad]
    }

    /// Reads every case through a whole-volume patch; returns the first error.
    static func readAll(_ cases: [TrainingCase], classes: Int = 4) -> (any Error)? {
        let sampler = PatchSampler(cases: cases, patch: extent, seed: 0, classes: classes)
        let patch = sampler.makePatch()
        for i in cases.indices {
            do {
                try sampler.read(PatchDraw(caseIndex: i, origin: .zero, centredOnForeground: false), into: patch)
            } catch {
                return error
            }
        }
        return nil
    }

    @Test func nanInAnImageIsNamedWithItsVoxel() throws {
        let folder = TemporaryFolder()
        let error = CorruptCaseTests.readAll(try CorruptCaseTests.cases(in: folder, damage: "nan")) as? InputError
        #expect(error?.file == folder.file("bad_image.npy"))
        #expect(error?.problem.contains("nan at voxel (3, 4, 5)") == true, "\(String(describing: error))")
        #expect(error?.problem.contains("case bad") == true)
    }

    @Test func aLabelPastTheClassesIsNamedWithItsVoxel() throws {
        let folder = TemporaryFolder()
        let cases = try CorruptCaseTests.cases(in: folder, damage: "label")
        let error = CorruptCaseTests.readAll(cases) as? InputError
        #expect(error?.file == folder.file("bad_mask.npy"))
        #expect(error?.problem.contains("label 9 at voxel (7, 1, 2)") == true, "\(String(describing: error))")
        #expect(CorruptCaseTests.readAll(cases, classes: 10) == nil, "with 10 classes, 9 is a class")
    }

    @Test func aFileCutShortAfterOpeningIsAnErrorNotACrash() throws {
        let folder = TemporaryFolder()
        let cases = try CorruptCaseTests.cases(in: folder, damage: "none")
        #expect(CorruptCaseTests.readAll(cases) == nil)
        // Truncated in place (same inode): reading its mapped pages past the new end would be SIGBUS.
        #expect(truncate(folder.file("bad_image.npy"), 200) == 0)
        let error = CorruptCaseTests.readAll(cases) as? InputError
        #expect(error?.file == folder.file("bad_image.npy"))
        #expect(error?.problem.contains("cut short") == true, "\(String(describing: error))")
    }

    /// With accumulation 2, a seed whose first patch comes from the good case and second from the bad one: the
    /// step fails in its second micro-batch, after the first has updated the running statistics.
    @Test func aStepAbandonedMidwayLeavesTheTrainerAtItsLastBoundary() throws {
        let folder = TemporaryFolder()
        let cases = try CorruptCaseTests.cases(in: folder, damage: "nan")
        let cache = try ForegroundIndexCache(folder: folder.file("fg"))
        let plan = TinyTraining.plan(microBatch: 1, accumulation: 2, volume: CorruptCaseTests.extent)
        let seed = try #require((UInt64(0)..<200).first { seed in
            let probe = PatchSampler(cases: cases, patch: plan.patch, seed: seed, indexCache: cache)
            let draws = (0..<4).compactMap { _ in try? probe.nextDraw().caseIndex }
            return draws == [0, 0, 0, 1]  // one good step, then a good and a bad micro-batch
        })
        let trainer = try Trainer(plan: plan, cases: cases,
                                  options: TrainingOptions(seed: seed, totalSteps: 4, augmentation: nil), indexCache: cache)
        _ = try trainer.step()
        let boundary = TinyTraining.snapshot(trainer.parameters)
        let state = trainer.state
        #expect {
            _ = try trainer.step()
        } throws: { error in
            (error as? InputError)?.file == folder.file("bad_image.npy")
        }
        #expect(trainer.hasFailed)
        #expect(trainer.completedSteps == 1)
        #expect(trainer.state == state, "the sampler state must be the boundary's, not the failed step's")
        #expect(TinyTraining.snapshot(trainer.parameters).difference(from: boundary) == nil, "running statistics not restored")
        #expect((0..<trainer.parameters.trainableCount).allSatisfy { trainer.parameters.gradients[$0] == 0 })
        // And the boundary saves and loads.
        try trainer.saveCheckpoint(to: folder.file("last"))
        #expect(try Checkpoint.readState(of: folder.file("last")).step == 1)
        trainer.stop()
    }
}
