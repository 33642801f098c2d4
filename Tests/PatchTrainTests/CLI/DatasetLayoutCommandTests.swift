import Foundation
@testable import PatchTrain
import Testing

/// Each layout users hold, as a user runs it: inspect says which layout it saw, plan, fit 2 steps with
/// validation, infer writes `CASE.nii.gz` in the input's geometry and the dataset's own label values, and
/// evaluate scores in those values.
@Suite(.serialized) struct DatasetLayoutCommandTests {
    /// Runs the whole chain on `data` and returns the evaluate JSON; `layout` is what inspect must report.
    func runChain(_ data: String, layout: String, labels: [Int], channels: Int, in folder: TemporaryFolder) throws -> [String: Any] {
        let inspect = try CLIRunner.run(["inspect", data, "--json"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
        #expect(report["layout"] as? String == layout)
        #expect(report["labels"] as? [Int] == labels)
        let text = try CLIRunner.run(["inspect", data])
        #expect(text.stdout.contains("(\(layout))"), "\(text.stdout)")

        let plan = try CLIRunner.run(["plan", "--data", data, "--ram", "1G", "--patch", "16x16x16", "--out", folder.file("plan.json")])
        #expect(plan.status == 0, "\(plan.stderr)")
        let fit = try CLIRunner.run(["fit", "--data", data, "--plan", folder.file("plan.json"), "--out", folder.file("run"),
                                     "--steps", "2", "--validation", "1", "--val-every", "1", "--no-augment"])
        #expect(fit.status == 0, "\(fit.stderr)")
        let metrics = try String(contentsOfFile: folder.file("run/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(metrics.count == 2 && metrics.allSatisfy { $0.contains("validationDice") }, "\(metrics)")
        let model = try TrainedModel(path: folder.file("run/last"))
        #expect(model.configuration.inputChannels == channels && model.configuration.classes == labels.count)

        // No --format: a dataset in these layouts gets NIfTI label maps named by case.
        let infer = try CLIRunner.run(["infer", "--model", folder.file("run/last"), "--input", data, "--out", folder.file("pred"),
                                       "--ram", "1G"])
        #expect(infer.status == 0, "\(infer.stderr)")
        let dataset = try Dataset(path: data)
        for entry in dataset.entries {
            let predicted = try NIfTIVolume(path: folder.file("pred/\(entry.id).nii.gz"))
            let image = try NIfTIVolume(path: entry.imagePath)
            #expect(predicted.shape == VolumeShape(x: image.shape.x, y: image.shape.y, z: image.shape.z))
            #expect(predicted.header.srowX == image.header.srowX && predicted.header.srowZ == image.header.srowZ)
            #expect(Set(predicted.readAll().map { Int($0) }).isSubset(of: labels), "predictions are in the stored label values")
        }

        let evaluate = try CLIRunner.run(["evaluate", "--pred", folder.file("pred"), "--truth", data, "--json"])
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        let scores = try #require(try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any])
        #expect(scores["labels"] as? [Int] == labels)
        #expect((scores["cases"] as? [Any])?.count == dataset.entries.count)
        return scores
    }

    @Test func nnUNetRawWithTwoChannels() throws {
        let folder = TemporaryFolder("patchtrain-nnunet-cli")
        try LayoutFixtures.nnUNet(at: folder.file("Dataset001"))
        _ = try runChain(folder.file("Dataset001"), layout: "nnU-Net v2 raw", labels: [0, 1, 2], channels: 2, in: folder)
    }

    @Test func decathlonWithTwoChannelsAndThreeShapes() throws {
        let folder = TemporaryFolder("patchtrain-msd-cli")
        try LayoutFixtures.decathlon(at: folder.file("Task01"))
        _ = try runChain(folder.file("Task01"), layout: "Medical Segmentation Decathlon", labels: [0, 1, 2], channels: 2, in: folder)
    }

    @Test func inspectReportsCasesWhoseVoxelSpacingsDiffer() throws {
        let folder = TemporaryFolder("patchtrain-msd-spacing")
        try LayoutFixtures.decathlon(at: folder.path)
        // Case 1 rewritten at 1 × 1 × 3 mm; the others keep the fixtures' 1.5 × 1.5 × 2 mm.
        let path = folder.file("imagesTr/task_001.nii.gz")
        let volume = try NIfTIVolume(path: path)
        var header = volume.header
        header.pixdim = [1, 1, 1, 3, 1, 1, 1, 1]
        header.srowX = [1, 0, 0, 0]
        header.srowY = [0, 1, 0, 0]
        header.srowZ = [0, 0, 3, 0]
        let values = volume.readAll()
        try NIfTIWriter.writeFloats(values, shape: volume.shape, like: header, to: path)
        let text = try CLIRunner.run(["inspect", folder.path])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("voxel spacings differ: 1.5x1.5x2 mm (2 cases), 1x1x3 mm (1 case)"), "\(text.stdout)")
        let json = try CLIRunner.run(["inspect", folder.path, "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((report["spacings"] as? [Any])?.count == 2)
    }

    @Test func bratsFoldersScoreInLabelsZeroOneTwoFour() throws {
        let folder = TemporaryFolder("patchtrain-brats-cli")
        try LayoutFixtures.brats(at: folder.file("BraTS"))
        let scores = try runChain(folder.file("BraTS"), layout: "BraTS case folders", labels: [0, 1, 2, 4], channels: 4, in: folder)
        let mean = try #require(scores["mean"] as? [String: Any])
        let classes = try #require(mean["classes"] as? [[String: Any]])
        #expect(classes.compactMap { $0["label"] as? Int } == [0, 1, 2, 4])
        let regions = try #require(scores["regions"] as? [[String: Any]])
        #expect(regions.compactMap { $0["labels"] as? [Int] } == [[1, 2, 4], [1, 4], [4]])
    }
}
