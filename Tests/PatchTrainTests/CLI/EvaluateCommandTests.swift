import Foundation
import Testing
@testable import PatchTrain

/// `patchtrain evaluate` run as a user runs it: scores in the JSON and the table, and bad input as exit code 2
/// with one `patchtrain: error: FILE: PROBLEM` line per problem.
@Suite struct EvaluateCommandTests {
    let cube = Extent3(2, 2, 2)
    // The hand-counted case of SegmentationMetricsTests.bratsRegionsAreUnionsOfClasses.
    let truthA: [UInt8] = [3, 3, 1, 2, 2, 0, 1, 3]
    let predA: [UInt8] = [3, 1, 1, 2, 3, 0, 2, 0]
    // A perfect case, with no enhancing tumour in either volume.
    let truthB: [UInt8] = [0, 1, 2, 2, 0, 0, 1, 0]

    /// A dataset folder (images/ + one-hot masks/) for cases a and b, and a prediction folder:
    /// `a.npy` and `b_pred.nii.gz` (a suffix and NIfTI, as users name them).
    func standardCase() throws -> (files: LabelVolumes, truth: String, pred: String) {
        let files = LabelVolumes()
        for (id, labels) in [("a", truthA), ("b", truthB)] {
            try files.labelMap("data/images/\(id).npy", labels, shape: cube)  // never read: only masks/ is the truth
            try files.oneHot("data/masks/\(id).npy", labels, shape: cube, classes: 4)
        }
        try files.labelMap("pred/a.npy", predA, shape: cube)
        try files.nifti("pred/b_pred.nii.gz", truthB, shape: cube)
        return (files, files.folder.file("data"), files.folder.file("pred"))
    }

    func json(_ arguments: [String]) throws -> [String: Any] {
        let result = try CLIRunner.run(["evaluate"] + arguments + ["--json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        return try #require(object as? [String: Any])
    }

    @discardableResult
    func expectOneError(_ arguments: [String], file: String, mentions words: [String],
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try CLIRunner.run(["evaluate"] + arguments)
        #expect(result.status == 2, "exit code", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, "stdout: \(result.stdout)", sourceLocation: sourceLocation)
        #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        let line = result.stderrLines.first ?? ""
        #expect(line.hasPrefix("patchtrain: error: \(file): "), "stderr: \(line)", sourceLocation: sourceLocation)
        for word in words {
            #expect(line.contains(word), "'\(word)' missing from: \(line)", sourceLocation: sourceLocation)
        }
        return line
    }

    @Test func jsonHasPerCaseAndMeanScores() throws {
        let (files, truth, pred) = try standardCase()
        let report = try json(["--pred", pred, "--truth", truth])
        #expect(report["classes"] as? Int == 4)
        #expect(report["truth"] as? String == "\(truth)/masks")
        let regions = try #require(report["regions"] as? [[String: Any]])
        #expect(regions.map { $0["name"] as? String } == ["WT", "TC", "ET"])
        #expect(regions.map { $0["labels"] as? [Int] } == [[1, 2, 3], [1, 3], [3]])

        let cases = try #require(report["cases"] as? [[String: Any]])
        #expect(cases.map { $0["id"] as? String } == ["a", "b"])
        #expect(cases[1]["prediction"] as? String == files.folder.file("pred/b_pred.nii.gz"))
        #expect(cases[0]["shape"] as? [Int] == [2, 2, 2])
        let a = try #require(cases[0]["classes"] as? [[String: Any]])
        #expect(a.map { $0["label"] as? Int } == [0, 1, 2, 3])
        #expect(a[3]["truePositives"] as? Int == 1 && a[3]["falsePositives"] as? Int == 1 && a[3]["falseNegatives"] as? Int == 2)
        #expect(abs((a[3]["dice"] as? Double ?? -1) - 0.4) < 1e-12)
        #expect(a.allSatisfy { $0["hd95"] == nil })  // only with --hd95
        let aRegions = try #require(cases[0]["regions"] as? [[String: Any]])
        #expect(abs((aRegions[0]["dice"] as? Double ?? -1) - 12.0 / 13.0) < 1e-12)
        let bRegions = try #require(cases[1]["regions"] as? [[String: Any]])
        #expect(bRegions.map { $0["dice"] as? Double } == [1, 1, 1])  // ET absent from both scores 1

        let mean = try #require(report["mean"] as? [String: Any])
        let meanRegions = try #require(mean["regions"] as? [[String: Any]])
        #expect(abs((meanRegions[2]["dice"] as? Double ?? -1) - (0.4 + 1) / 2) < 1e-12)
        #expect(meanRegions[2]["name"] as? String == "ET")
        let meanClasses = try #require(mean["classes"] as? [[String: Any]])
        #expect(abs((meanClasses[0]["dice"] as? Double ?? -1) - (2.0 / 3.0 + 1) / 2) < 1e-12)
    }

    @Test func tableHasACaseRowAndAMeanRow() throws {
        let (files, truth, pred) = try standardCase()
        defer { withExtendedLifetime(files) {} }  // the folder must outlive the runs
        let result = try CLIRunner.run(["evaluate", "--pred", pred, "--truth", truth])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.isEmpty)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.first { $0.hasPrefix("case ") })
        #expect(header.split(separator: " ", omittingEmptySubsequences: true).suffix(3) == ["WT", "TC", "ET"])
        let rowA = try #require(lines.first { $0.hasPrefix("a ") })
        #expect(rowA.hasSuffix("0.9231  0.6667  0.4000"))
        #expect(lines.contains { $0.hasPrefix("mean ") && $0.hasSuffix("0.7000") })
    }

    @Test func labelMapFolderAndOneHotDatasetGiveTheSameScores() throws {
        let (files, truth, pred) = try standardCase()
        try files.labelMap("flat/a_seg.npy", truthA, shape: cube)
        try files.nifti("flat/b.nii", truthB, shape: cube)
        let fromDataset = try json(["--pred", pred, "--truth", truth])
        let fromFlat = try json(["--pred", pred, "--truth", files.folder.file("flat")])
        func dice(_ report: [String: Any]) -> [[Double]] {
            (report["cases"] as? [[String: Any]] ?? []).map { c in
                ((c["classes"] as? [[String: Any]] ?? []) + (c["regions"] as? [[String: Any]] ?? [])).compactMap { $0["dice"] as? Double }
            }
        }
        #expect(dice(fromDataset).count == 2 && dice(fromDataset)[0].count == 7)
        #expect(dice(fromFlat) == dice(fromDataset))
    }

    @Test func manifestNamesTheTruthOfEachCase() throws {
        let (files, truth, pred) = try standardCase()
        defer { withExtendedLifetime(files) {} }  // the folder must outlive the runs
        let before = try json(["--pred", pred, "--truth", truth])
        // Case a by its explicit id (its mask under another name), case b by its image's stem.
        try FileManager.default.moveItem(atPath: "\(truth)/masks/a.npy", toPath: "\(truth)/masks/first.npy")
        let manifest = #"{"cases": [{"id": "a", "image": "images/a.npy", "mask": "masks/first.npy"}, {"image": "images/b.npy", "mask": "masks/b.npy"}]}"#
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: "\(truth)/manifest.json"))
        let after = try json(["--pred", pred, "--truth", truth])
        #expect(after["truth"] as? String == "\(truth)/manifest.json")
        let cases = try #require(after["cases"] as? [[String: Any]])
        #expect(cases.map { $0["truth"] as? String } == ["\(truth)/masks/first.npy", "\(truth)/masks/b.npy"])
        let meanBefore = try #require(before["mean"] as? [String: Any]), meanAfter = try #require(after["mean"] as? [String: Any])
        #expect((meanAfter["regions"] as? [[String: Any]])?.map { $0["dice"] as? Double } == (meanBefore["regions"] as? [[String: Any]])?.map { $0["dice"] as? Double })
    }

    @Test func hd95IsReportedForEveryStructureButTheBackground() throws {
        let (files, truth, pred) = try standardCase()
        defer { withExtendedLifetime(files) {} }  // the folder must outlive the runs
        let report = try json(["--pred", pred, "--truth", truth, "--hd95"])
        let cases = try #require(report["cases"] as? [[String: Any]])
        #expect(cases.map { $0["hd95Unit"] as? String } == ["voxel", "mm"])  // a.npy has no geometry; b is NIfTI
        let classes = try #require(cases[1]["classes"] as? [[String: Any]])
        #expect(classes[0]["hd95"] == nil)
        #expect(classes[1...].map { $0["hd95"] as? Double } == [0, 0, 0])  // b is perfect; class 3 absent from both
        let regions = try #require(cases[0]["regions"] as? [[String: Any]])
        #expect(regions.allSatisfy { ($0["hd95"] as? Double ?? -1) >= 0 })
    }

    @Test func missingPredictionIsOneErrorNamingTheTruthFile() throws {
        let (files, truth, pred) = try standardCase()
        try FileManager.default.removeItem(atPath: files.folder.file("pred/b_pred.nii.gz"))
        try expectOneError(["--pred", pred, "--truth", truth], file: "\(truth)/masks/b.npy", mentions: ["no prediction for case 'b'"])
    }

    @Test func extraPredictionIsOneErrorNamingIt() throws {
        let (files, truth, pred) = try standardCase()
        let extra = try files.labelMap("pred/c.npy", truthB, shape: cube)
        try expectOneError(["--pred", pred, "--truth", truth], file: extra, mentions: ["no truth for case 'c'"])
    }

    @Test func twoPredictionsForOneCaseIsOneError() throws {
        let (files, truth, pred) = try standardCase()
        let second = try files.labelMap("pred/a_seg.npy", predA, shape: cube)
        try expectOneError(["--pred", pred, "--truth", truth], file: second, mentions: ["second volume for case 'a'", "a.npy"])
    }

    @Test func shapeMismatchIsOneErrorNamingThePrediction() throws {
        let (files, truth, pred) = try standardCase()
        let wrong = try files.labelMap("pred/a.npy", [UInt8](repeating: 0, count: 12), shape: Extent3(2, 2, 3))
        try expectOneError(["--pred", pred, "--truth", truth], file: wrong, mentions: ["2x2x3", "2x2x2", "does not match"])
    }

    @Test func unreadablePredictionIsOneError() throws {
        let (files, truth, pred) = try standardCase()
        let broken = files.folder.file("pred/a.npy")
        try Data("not numpy".utf8).write(to: URL(fileURLWithPath: broken))
        try expectOneError(["--pred", pred, "--truth", truth], file: broken, mentions: [])
    }

    @Test func labelOutsideTheClassesIsOneError() throws {
        let (files, truth, pred) = try standardCase()
        defer { withExtendedLifetime(files) {} }  // the folder must outlive the runs
        try expectOneError(["--pred", pred, "--truth", truth, "--classes", "3"], file: "\(truth)/masks/a.npy",
                           mentions: ["label 3", "outside 0...2"])
    }

    @Test func missingFoldersAreOneError() throws {
        let (files, truth, _) = try standardCase()
        let nowhere = files.folder.file("nowhere")
        try expectOneError(["--pred", nowhere, "--truth", truth], file: nowhere, mentions: ["no such folder"])
        try expectOneError(["--pred", files.folder.file("pred"), "--truth", nowhere], file: nowhere, mentions: ["no such file or folder"])
    }
}
