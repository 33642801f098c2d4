import Foundation
import Testing
@testable import PatchTrain

/// `patchtrain inspect` run as a user runs it: bad input gives exit code 2 and exactly one stderr line,
/// `patchtrain: error: FILE: PROBLEM`, never a crash.
@Suite struct InspectCommandTests {
    /// Runs `inspect` and checks the one-line error contract; returns the line for further checks.
    @discardableResult
    func expectOneError(_ data: TinyDataset, file: String, mentions words: [String], extra: [String] = [],
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try CLIRunner.run(["inspect", data.path] + extra)
        #expect(result.status == 2, "exit code", sourceLocation: sourceLocation)
        #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        let line = result.stderrLines.first ?? ""
        #expect(line.hasPrefix("patchtrain: error: \(file): "), "stderr: \(line)", sourceLocation: sourceLocation)
        for word in words {
            #expect(line.contains(word), "'\(word)' missing from: \(line)", sourceLocation: sourceLocation)
        }
        return line
    }

    @Test func truncatedNPYIsOneError() throws {
        let data = TinyDataset()
        try data.goodCase("a")
        let path = try data.image("b.npy", [4, 3, 2])
        try data.oneHotMask("b.npy", [4, 3, 2], classes: 3)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: path))
        try expectOneError(data, file: path, mentions: ["truncated"])
    }

    @Test func wrongMagicIsOneError() throws {
        let data = TinyDataset()
        let path = data.raw("images/a.npy", Array("this is not numpy data at all, just text".utf8))
        try data.oneHotMask("a.npy", [4, 3, 2], classes: 3)
        try expectOneError(data, file: path, mentions: ["magic"])
    }

    @Test func complexDtypeIsOneError() throws {
        let data = TinyDataset()
        let path = data.raw("images/a.npy", RawNPY.file(descr: "<c8", shape: [4, 3, 2], data: [UInt8](repeating: 0, count: 24 * 8)))
        try data.oneHotMask("a.npy", [4, 3, 2], classes: 3)
        try expectOneError(data, file: path, mentions: ["unsupported dtype", "<c8"])
    }

    @Test func shapeMismatchIsOneError() throws {
        let data = TinyDataset()
        try data.image("a.npy", [4, 3, 2])
        let mask = try data.oneHotMask("a.npy", [4, 3, 5], classes: 3)
        try expectOneError(data, file: mask, mentions: ["4x3x5x3", "4x3x2", "does not match"])
    }

    @Test func maskNotOneHotIsOneError() throws {
        let data = TinyDataset()
        try data.image("a.npy", [4, 3, 2])
        // Voxel 5 has two hot channels.
        var values = [Float](repeating: 0, count: 24 * 3)
        for i in 0..<24 { values[i * 3] = 1 }
        values[5 * 3 + 1] = 1
        let mask = data.folder.file("masks/a.npy")
        try NPYWriter.write(values, elementType: .float32, shape: [4, 3, 2, 3], to: mask)
        try expectOneError(data, file: mask, mentions: ["not one-hot", "(0, 2, 1)"])
    }

    @Test func emptyFolderIsOneError() throws {
        let data = TinyDataset(imagesAndMasks: false)
        try expectOneError(data, file: data.path, mentions: ["empty folder"])
    }

    @Test func imageWithoutMaskIsOneError() throws {
        let data = TinyDataset()
        try data.goodCase("a")
        let lonely = try data.image("b.npy", [4, 3, 2])
        try expectOneError(data, file: lonely, mentions: ["no matching mask"])
    }

    @Test(arguments: [Float.nan, Float.infinity, -Float.infinity])
    func nonFiniteImageIsOneError(bad: Float) throws {
        let data = TinyDataset()
        let path = try data.image("a.npy", [4, 3, 2]) { $0 == 13 ? bad : 1 }
        try data.oneHotMask("a.npy", [4, 3, 2], classes: 3)
        try expectOneError(data, file: path, mentions: ["non-finite", "(2, 0, 1)"])
    }

    @Test func labelOutsideClassesIsOneError() throws {
        let data = TinyDataset()
        try data.image("a.npy", [4, 3, 2])
        let mask = try data.labelMask("a.npy", [4, 3, 2]) { $0 == 7 ? 5 : 1 }
        try expectOneError(data, file: mask, mentions: ["invalid labels", "0..<3"], extra: ["--classes", "3"])
    }

    @Test func niftiWithBadHeaderSizeIsOneError() throws {
        let data = TinyDataset()
        // A 348-byte header whose sizeof_hdr field says 400, then a few data bytes.
        var bytes = [UInt8](repeating: 0, count: 360)
        withUnsafeBytes(of: Int32(400).littleEndian) { bytes.replaceSubrange(0..<4, with: $0) }
        let path = data.raw("images/a.nii", bytes)
        try data.oneHotMask("a.npy", [4, 3, 2], classes: 3)
        try expectOneError(data, file: path, mentions: ["bad NIfTI header size 400 (expected 348)"])
    }

    @Test func goodDatasetExitsZeroWithQuietStderr() throws {
        let data = TinyDataset()
        try data.goodCase("a")
        try data.goodCase("b")
        let result = try CLIRunner.run(["inspect", data.path])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        #expect(result.stdout.contains("no problems found"))
        #expect(result.stdout.contains("4x3x2x3 float32 one-hot"))
    }

    @Test func jsonReportParses() throws {
        let data = TinyDataset()
        try data.goodCase("a")
        try data.goodCase("b")
        try data.image("c.npy", [4, 3, 2])  // unpaired: a problem, reported in JSON too
        let result = try CLIRunner.run(["inspect", data.path, "--json", "--validation", "1"])
        #expect(result.status == 2)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let report = try #require(object)
        #expect(report["classes"] as? Int == 3)
        let cases = try #require(report["cases"] as? [[String: Any]])
        #expect(cases.map { $0["id"] as? String } == ["a", "b"])
        #expect(cases.compactMap { $0["split"] as? String }.sorted() == ["training", "validation"])
        let fractions = try #require(cases[0]["classFractions"] as? [Double])
        #expect(fractions == [0.5, 0.5, 0])
        let image = try #require(cases[0]["image"] as? [String: Any])
        #expect(image["shape"] as? [Int] == [4, 3, 2])
        #expect(image["dtype"] as? String == "float32")
        let totals = try #require(report["totals"] as? [String: Any])
        #expect(totals["classVoxels"] as? [Int] == [24, 24, 0])
        let problems = try #require(report["problems"] as? [[String: Any]])
        #expect(problems.count == 1)
        #expect((problems.first?["file"] as? String)?.hasSuffix("images/c.npy") == true)
        #expect(result.stderrLines.count == 1)
    }

    @Test func missingArgumentIsUsageErrorExitTwo() throws {
        let result = try CLIRunner.run(["inspect"])
        #expect(result.status == 2)
    }
}
