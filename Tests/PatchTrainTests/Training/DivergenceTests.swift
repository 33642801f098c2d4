import Foundation
import Testing
@testable import PatchTrain

/// A run whose loss or weights stop being finite numbers stops there, exit 1, naming the step and suggesting a
/// lower learning rate, and saves nothing: `last/` keeps the last good checkpoint byte for byte.
@Suite(.serialized) struct DivergenceTests {
    @Test func aDivergingResumeKeepsTheLastCheckpointByteIdentical() throws {
        let setup = try FitResumeCommandTests.Setup()
        let first = try CLIRunner.run(setup.fit("run", ["--steps", "2"]))
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let before = Checkpoint.files.map { setup.bytes("run/last/\($0)") }
        #expect(before.allSatisfy { $0 != nil })

        // The same run continued at a learning rate of 1e30: the first update leaves weights near 1e30, the next
        // forward pass overflows.
        let configPath = setup.folder.file("run/config.json")
        var configuration = try JSONDecoder().decode(RunConfiguration.self, from: Data(contentsOf: URL(fileURLWithPath: configPath)))
        configuration.learningRate = 1e30
        try RunFolder.writeJSON(configuration, to: configPath)
        let resumed = try CLIRunner.run(["fit", "--resume", setup.folder.file("run"), "--steps", "8"])
        #expect(resumed.status == 1, "stderr: \(resumed.stderr)")
        let lines = resumed.stderr.split(separator: "\n").filter { !$0.contains("\r") && $0.contains("error") }
        #expect(lines.count == 1, "one error line: \(resumed.stderr)")
        #expect(resumed.stderr.contains("training diverged at step"), "\(resumed.stderr)")
        #expect(resumed.stderr.contains("lower --lr"), "\(resumed.stderr)")
        #expect(resumed.stderr.contains("keeps step 2"), "\(resumed.stderr)")
        let after = Checkpoint.files.map { setup.bytes("run/last/\($0)") }
        #expect(after == before, "last/ is byte-identical")
        #expect(try setup.loadLast("run").step == 2)
    }

    @Test func weightsAreNeverWrittenNonFinite() throws {
        let folder = TemporaryFolder()
        let store = CheckpointTests.store()
        let path = folder.file("weights.safetensors")
        try WeightsFile.write(store, to: path)
        let good = FileManager.default.contents(atPath: path)
        for bad in [Float.nan, .infinity] {
            store.values[store.floatCount / 2] = bad
            #expect(throws: RuntimeFailure.self) { try WeightsFile.write(store, to: path) }
            #expect(FileManager.default.contents(atPath: path) == good, "the file written before is untouched")
            #expect(throws: RuntimeFailure.self) {
                try Checkpoint.write(to: folder.file("last"), parameters: store, optimizer: CheckpointTests.adam(step: 1),
                                     state: CheckpointTests.state(step: 1))
            }
            #expect(!FileManager.default.fileExists(atPath: folder.file("last")))
        }
    }
}
