import Foundation
import Testing
@testable import PatchTrain

/// Every reader range-checks what it reads before using it: values that would overflow, trap or allocate without
/// bound are an `InputError` naming the file, on one line.
@Suite struct InputLimitsTests {
    static func expectOneLineError(_ file: String, mentions words: [String], _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected an InputError for \(file)")
        } catch let error as InputError {
            #expect(error.file == file)
            #expect(!error.description.contains("\n"), "\(error)")
            for word in words { #expect(error.problem.contains(word), "\(error.problem) should mention \(word)") }
        } catch {
            Issue.record("expected an InputError, got \(error)")
        }
    }

    // MARK: .npy

    @Test func npyShapesWhoseSizeOverflowsAreRefused() throws {
        let folder = TemporaryFolder()
        for shape in [[1 << 62, 4, 1], [Int.max, 1, 1], [1 << 21, 1 << 21, 1 << 21], [3037000500, 3037000500, 1]] {
            let path = folder.file("big.npy")
            try Data(RawNPY.file(descr: "<f4", shape: shape, data: [0, 0, 0, 0])).write(to: URL(fileURLWithPath: path))
            Self.expectOneLineError(path, mentions: ["overflows"]) { _ = try NPYVolume(path: path) }
        }
    }

    @Test func npyHeaderTextIsEchoedOnOneLineAndShort() throws {
        let folder = TemporaryFolder()
        let path = folder.file("odd.npy")
        let garbage = String(repeating: "9\n\u{1b}[31m", count: 200)
        var bytes = RawNPY.file(descr: "<f4\n\u{7}", shape: [2, 2, 2], data: [])
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        Self.expectOneLineError(path, mentions: ["unsupported dtype", "\\n"]) { _ = try NPYVolume(path: path) }
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(garbage)), }"
        bytes = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(dict.utf8.count & 0xFF), UInt8(dict.utf8.count >> 8)] + Array(dict.utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        Self.expectOneLineError(path, mentions: ["bad shape"]) { _ = try NPYVolume(path: path) }
        do { _ = try NPYVolume(path: path) } catch let error as InputError {
            #expect(error.description.count < 700, "echoed header text is capped: \(error.description.count) characters")
            #expect(!error.description.unicodeScalars.contains { $0.value < 0x20 })
        }
    }

    // MARK: safetensors

    static func safetensors(_ header: String, dataBytes: Int, to path: String) throws {
        var json = Array(header.utf8)
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        let length = UInt64(json.count)
        let prefix = (0..<8).map { UInt8((length >> (8 * UInt64($0))) & 0xFF) }
        try Data(prefix + json + [UInt8](repeating: 0, count: dataBytes)).write(to: URL(fileURLWithPath: path))
    }

    @Test func safetensorsOffsetsAndShapesOutOfRangeAreRefused() throws {
        let folder = TemporaryFolder()
        let path = folder.file("model.safetensors")
        try Self.safetensors(#"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, dataBytes: 8, to: path)
        #expect(try Safetensors.Reader(path: path).entries["w"]?.range == 0..<8)
        let bad = [
            // Before the data section: would read the JSON header's own bytes.
            (#"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [-8, 0]}}"#, "inconsistent"),
            (#"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [9223372036854775800, 9223372036854775807]}}"#, "inconsistent"),
            (#"{"w": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 8]}}"#, "overflowing"),
            (#"{"w": {"dtype": "F32", "shape": [-2, -1], "data_offsets": [0, 8]}}"#, "negative"),
            (#"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 16]}}"#, "inconsistent"),
        ]
        for (header, word) in bad {
            try Self.safetensors(header, dataBytes: 8, to: path)
            Self.expectOneLineError(path, mentions: [word]) { _ = try Safetensors.Reader(path: path) }
        }
    }

    // MARK: plan.json, config.json, state.json, optimizer.zst

    static func plan() throws -> MemoryPlan {
        let planner = MemoryPlanner(configuration: UNetConfiguration(classes: 3, baseFilters: 4, depth: 2), volume: Extent3(32, 32, 32),
                                    effectiveBatch: 2, fixed: FixedMemory(runtimeBytes: 1 << 20, source: "test"),
                                    workspaceBytes: KernelWorkspace.bytes)
        return planner.plan(patch: Extent3(16, 16, 16), microBatch: 1, budget: 1 << 32)
    }

    /// The plan as JSON with one field replaced.
    static func editedPlan(_ path: [String], _ value: Any) throws -> Data {
        let data = try JSONEncoder().encode(try plan())
        var object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        func set(_ dictionary: inout [String: Any], _ keys: ArraySlice<String>) {
            if keys.count == 1 { dictionary[keys.first!] = value; return }
            var inner = dictionary[keys.first!] as! [String: Any]
            set(&inner, keys.dropFirst())
            dictionary[keys.first!] = inner
        }
        set(&object, path[...])
        return try JSONSerialization.data(withJSONObject: object)
    }

    @Test func planFieldsOutOfRangeAreRefusedNamingTheField() throws {
        let good = try JSONDecoder().decode(MemoryPlan.self, from: try JSONEncoder().encode(try Self.plan()))
        #expect(good == (try Self.plan()))
        let cases: [([String], Any, String)] = [
            (["microBatch"], 0, "microBatch"), (["accumulationSteps"], 0, "accumulationSteps"),
            (["prefetchDepth"], 0, "prefetchDepth"), (["patch", "x"], 0, "patch.x"), (["patch", "y"], 18, "patch"),
            (["patch", "z"], Int.max, "patch.z"), (["volume", "x"], -5, "volume.x"),
            (["configuration", "classes"], 1, "configuration.classes"), (["configuration", "classes"], 100_000, "configuration.classes"),
            (["configuration", "depth"], 40, "configuration.depth"), (["configuration", "baseFilters"], 0, "configuration.baseFilters"),
            (["configuration", "inputChannels"], 0, "configuration.inputChannels"), (["budgetBytes"], 0, "budgetBytes"),
            (["arena", "bytes"], Int.max, "arena.bytes"), (["fixed", "runtimeBytes"], -1, "fixed.runtimeBytes"),
        ]
        for (path, value, field) in cases {
            let data = try Self.editedPlan(path, value)
            #expect(throws: FieldProblem.self, "\(path) = \(value)") { _ = try JSONDecoder().decode(MemoryPlan.self, from: data) }
            do { _ = try JSONDecoder().decode(MemoryPlan.self, from: data) } catch let problem as FieldProblem {
                #expect(problem.field == field, "\(problem)")
            }
        }
    }

    @Test func runFolderFilesOutOfRangeAreInputErrorsNamingTheFile() throws {
        let folder = TemporaryFolder()
        let run = try RunFolder.create(folder.file("run"))
        try run.writePlan(try Self.plan())
        #expect(try run.readPlan() == (try Self.plan()))
        try Self.editedPlan(["microBatch"], 0).write(to: URL(fileURLWithPath: run.planPath))
        Self.expectOneLineError(run.planPath, mentions: ["microBatch", "is 0"]) { _ = try run.readPlan() }

        var configuration = RunConfiguration(data: "d", cases: ["a"], steps: 10, stepsPerEpoch: 5, learningRate: 1e-3, schedule: .constant,
                                             loss: .dice, augmentation: nil, seed: 1, effectiveBatch: 2, budgetBytes: 1 << 30,
                                             checkpointEvery: 0)
        try run.writeConfiguration(configuration)
        #expect(try run.readConfiguration() == configuration)
        configuration.stepsPerEpoch = 0
        try run.writeConfiguration(configuration)
        Self.expectOneLineError(run.configurationPath, mentions: ["stepsPerEpoch"]) { _ = try run.readConfiguration() }
        configuration.stepsPerEpoch = 5
        configuration.epochs = Int.max / 2
        try run.writeConfiguration(configuration)
        Self.expectOneLineError(run.configurationPath, mentions: ["epochs"]) { _ = try run.readConfiguration() }
    }

    @Test func generatorStatesOfTheWrongLengthOrAllZeroAreRefused() throws {
        let folder = TemporaryFolder()
        let path = folder.file("state.json")
        let state = CheckpointTests.state(step: 3)
        let text = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        let words = state.sampler.generator.state.map(String.init).joined(separator: ",")
        for (replacement, word) in [("1,2,3", "has 3 words"), ("0,0,0,0", "all zero"), ("1,2,3,4,5", "has 5 words")] {
            try text.replacingOccurrences(of: words, with: replacement).write(toFile: path, atomically: true, encoding: .utf8)
            Self.expectOneLineError(path, mentions: [word, "sampler.generator.state"]) { _ = try Checkpoint.readState(path) }
        }
    }

    @Test func optimizerStatesThatWouldGiveNaNWeightsAreRefused() throws {
        let folder = TemporaryFolder()
        let store = CheckpointTests.store()
        for (beta1, beta2, epsilon) in [(Float(1), Float(0.999), Float(1e-8)), (0.9, 1, 1e-8), (0.9, 0.999, 0), (.nan, 0.999, 1e-8)] {
            let path = folder.file("optimizer.zst")
            try OptimizerStateFile.write(Adam(learningRate: 1e-3, beta1: beta1, beta2: beta2, epsilon: epsilon), moments: store,
                                         to: try AtomicFile(path: path))
            Self.expectOneLineError(path, mentions: ["Adam settings out of range"]) {
                _ = try OptimizerStateFile.read(path, moments: store)
            }
        }
    }

    // MARK: classes and planner requests

    @Test func classCountsOutsideWhatUInt8LabelsAllowAreRefused() throws {
        let folder = TemporaryFolder()
        let manifest = folder.file("manifest.json")
        for classes in [0, 1, 257, 1 << 40] {
            try #"{"classes": \#(classes), "cases": [{"image": "a.npy", "mask": "b.npy"}]}"#.write(toFile: manifest, atomically: true, encoding: .utf8)
            Self.expectOneLineError(manifest, mentions: ["classes"]) { _ = try DatasetManifest(path: manifest) }
        }
        Self.expectOneLineError(folder.path, mentions: ["classes"]) { _ = try Dataset(path: folder.path, classes: 100_000) }
    }

    @Test func aOneHotMaskWithHundredsOfChannelsIsAProblemNotAnAllocation() throws {
        let folder = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.file("images"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder.file("masks"), withIntermediateDirectories: true)
        try NPYWriter.write([Float](repeating: 0, count: 8), elementType: .float32, shape: [2, 2, 2], to: folder.file("images/a.npy"))
        try NPYWriter.write([UInt8](repeating: 0, count: 8 * 300), elementType: .uint8, shape: [2, 2, 2, 300], to: folder.file("masks/a.npy"))
        let check = try Dataset(path: folder.path).check()
        #expect(check.cases.isEmpty)
        #expect(check.problems.contains { $0.file == folder.file("masks/a.npy") && $0.problem.contains("300 classes") })
    }

    @Test func plannerRequestsOutOfRangeAreInputErrors() throws {
        let requests: [(UNetConfiguration, Extent3, Int, Int)] = [
            (UNetConfiguration(classes: 1), Extent3(64, 64, 64), 2, 2),
            (UNetConfiguration(classes: 4, baseFilters: 0), Extent3(64, 64, 64), 2, 2),
            (UNetConfiguration(classes: 4, depth: 60), Extent3(64, 64, 64), 2, 2),
            (UNetConfiguration(classes: 4), Extent3(1 << 40, 64, 64), 2, 2),
            (UNetConfiguration(classes: 4), Extent3(64, 64, 64), Int.max, 2),
            (UNetConfiguration(classes: 4), Extent3(64, 64, 64), 2, 0),
            (UNetConfiguration(classes: 4), Extent3(64, 64, 64), 2, Int.max),
        ]
        for (configuration, volume, batch, prefetch) in requests {
            #expect(throws: InputError.self, "\(configuration) \(volume) \(batch) \(prefetch)") {
                _ = try MemoryPlanner.measured(configuration: configuration, volume: volume, effectiveBatch: batch, prefetchDepth: prefetch)
            }
        }
    }
}
