import Foundation
@testable import PatchTrain
import Testing

/// `patchtrain pack` as a user runs it: the pack is much smaller than the `.npy` set, every command reads it
/// as a dataset, training from it gives the same weights as from the source, and a damaged pack is exit 2
/// with one line naming the case and the chunk.
@Suite(.serialized) struct PackCommandTests {
    static func synth(_ folder: TemporaryFolder) throws -> String {
        let result = try CLIRunner.run(["synth", "--out", folder.file("syn"), "--cases", "3", "--shape", "48x48x32"])
        #expect(result.status == 0, "\(result.stderr)")
        let pack = try CLIRunner.run(["pack", folder.file("syn"), "--out", folder.file("syn.ptpack"), "--json"])
        #expect(pack.status == 0, "\(pack.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(pack.stdout.utf8)) as? [String: Any])
        let packBytes = try #require(summary["packBytes"] as? Int), sourceBytes = try #require(summary["sourceBytes"] as? Int)
        #expect(packBytes * 8 <= sourceBytes, "pack \(packBytes) B against \(sourceBytes) B of .npy")
        return folder.file("syn.ptpack")
    }

    @Test func trainingFromThePackGivesTheSameWeightsAsFromTheNPYSet() throws {
        let folder = TemporaryFolder("patchtrain-pack-fit")
        let pack = try Self.synth(folder)
        let plan = try CLIRunner.run(["plan", "--data", pack, "--ram", "1G", "--patch", "32x32x32", "--out", folder.file("plan.json"), "--json"])
        #expect(plan.status == 0, "\(plan.stderr)")
        let planned = try #require(try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])
        let data = try #require((planned["plan"] as? [String: Any])?["data"] as? [String: Any] ?? planned["data"] as? [String: Any])
        #expect(data["packReading"] as? Int == (try PackArchive(path: pack)).readingBytes, "the plan counts the pack's caches and table")
        // A plan made for the .npy set does not count the pack's caches: fit refuses it for the pack.
        let npyPlan = try CLIRunner.run(["plan", "--data", folder.file("syn"), "--ram", "1G", "--patch", "32x32x32", "--out", folder.file("npy-plan.json")])
        #expect(npyPlan.status == 0, "\(npyPlan.stderr)")
        let refused = try CLIRunner.run(["fit", "--data", pack, "--plan", folder.file("npy-plan.json"), "--steps", "1", "--out", folder.file("run-refused")])
        #expect(refused.status == 2 && refused.stderr.contains("chunk caches"), "\(refused.stderr)")
        for (name, source) in [("npy", folder.file("syn")), ("pack", pack)] {
            let fit = try CLIRunner.run(["fit", "--data", source, "--plan", folder.file("plan.json"), "--steps", "3", "--seed", "5",
                                         "--out", folder.file("run-\(name)")])
            #expect(fit.status == 0, "\(fit.stderr)")
        }
        let a = try Data(contentsOf: URL(fileURLWithPath: folder.file("run-npy/last/weights.safetensors")))
        let b = try Data(contentsOf: URL(fileURLWithPath: folder.file("run-pack/last/weights.safetensors")))
        #expect(a == b, "bit-identical weights")
        let infer = try CLIRunner.run(["infer", "--model", folder.file("run-pack/last"), "--input", pack, "--out", folder.file("pred"), "--ram", "1G"])
        #expect(infer.status == 0, "\(infer.stderr)")
        #expect(try NPYVolume(path: folder.file("pred/case_002.npy")).shape == VolumeShape(x: 48, y: 48, z: 32))
        let evaluate = try CLIRunner.run(["evaluate", "--pred", folder.file("pred"), "--truth", pack, "--json"])
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        let scores = try #require(try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any])
        #expect((scores["cases"] as? [Any])?.count == 3)
    }

    @Test func aDamagedChunkIsExitTwoNamingTheCaseAndTheChunk() throws {
        let folder = TemporaryFolder("patchtrain-pack-bad")
        let pack = try Self.synth(folder)
        var parts = try PackBytes(Array(try Data(contentsOf: URL(fileURLWithPath: pack))))
        let entry = parts.entries[1]
        parts.data[Int(entry.offset) + Int(entry.length) / 2] ^= 0xFF
        try Data(parts.assembled()).write(to: URL(fileURLWithPath: folder.file("bad.ptpack")))
        for command in [["inspect", folder.file("bad.ptpack")],
                        ["fit", "--data", folder.file("bad.ptpack"), "--ram", "1G", "--patch", "48x48x32", "--steps", "2", "--out", folder.file("run")]] {
            let result = try CLIRunner.run(command)
            #expect(result.status == 2, "\(command[0]): \(result.stderr)")
            #expect(result.stderrLines.filter { $0.contains("error") }.count == 1, "\(result.stderr)")
            #expect(result.stderr.contains("case 'case_000', image chunk 1 ("), "\(result.stderr)")
            #expect(result.stderr.contains("checksum mismatch"), "\(result.stderr)")
        }
        let cut = Array(try Data(contentsOf: URL(fileURLWithPath: pack)))
        try Data(cut.prefix(cut.count / 2)).write(to: URL(fileURLWithPath: folder.file("cut.ptpack")))
        let result = try CLIRunner.run(["plan", "--data", folder.file("cut.ptpack"), "--ram", "1G"])
        #expect(result.status == 2 && result.stderrLines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("truncated") && result.stderr.contains(" chunk "), "\(result.stderr)")
    }
}
