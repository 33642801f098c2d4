import Foundation
import Testing
@testable import PatchTrain

/// The checkpoint folder on its own: what it holds, what loading refuses, and that a write cut short — by a full
/// disk or a crash between renames — leaves the previous checkpoint whole.
@Suite struct CheckpointTests {
    static func store(classes: Int = 2, seed: UInt64 = 1) -> ParameterStore {
        let graph = LayerGraph(configuration: TinyTraining.configuration(classes: classes), patch: Extent3(16, 16, 16), microBatch: 1)
        let store = ParameterStore(specs: graph.parameters)
        WeightInitializer.initialize(store, seed: seed)
        var generator = SeededGenerator(seed: seed, stream: 9)
        for i in 0..<store.trainableCount {
            store.firstMoments[i] = Float(generator.nextGaussian() * 1e-3)
            store.secondMoments[i] = Float(generator.nextUnit() * 1e-6)
        }
        store.setCounter("enc.0.net.1.num_batches_tracked", Int64(seed) + 6)
        return store
    }

    static func state(step: Int) -> TrainingState {
        TrainingState(step: step, epoch: step / 4,
                      sampler: PatchSamplerState(generator: SeededGenerator(seed: 3), drawn: 2 * step, augmentation: SeededGenerator(seed: 4)),
                      schedule: SchedulePosition(schedule: .cosine, baseLearningRate: 1e-3, totalSteps: 10, step: step), loss: 0.5)
    }

    static func adam(step: Int) -> Adam {
        var adam = Adam(learningRate: 2e-4, beta1: 0.8, beta2: 0.99, epsilon: 1e-7)
        adam.step = step
        return adam
    }

    static func save(_ store: ParameterStore, step: Int, to folder: String, swap: AtomicFolder.Swap = .exchange) throws {
        try Checkpoint.write(to: folder, parameters: store, optimizer: adam(step: step), state: state(step: step), swap: swap)
    }

    static func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    @Test func roundTripsEveryFileExactly() throws {
        let folder = TemporaryFolder()
        let store = CheckpointTests.store()
        try CheckpointTests.save(store, step: 5, to: folder.file("last"))
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.file("last"))) == Set(Checkpoint.files))
        let back = CheckpointTests.store(seed: 99)
        let (adam, state) = try Checkpoint.load(from: folder.file("last"), into: back)
        #expect(adam == CheckpointTests.adam(step: 5))
        #expect(state == CheckpointTests.state(step: 5))
        #expect(TinyTraining.snapshot(store).difference(from: TinyTraining.snapshot(back)) == nil)
        // The moments are stored in PyTorch's order, as the weights are: the first tensor's first moment is the
        // first thing after the headers, and a convolution's is transposed from the store's layout.
        #expect(store.specs.first!.layout == .convolution)
    }

    @Test func savingAgainSwapsTheWholeFolderAndLeavesNothingBehind() throws {
        for swap in [AtomicFolder.Swap.exchange, .twoRenames] {
            let folder = TemporaryFolder()
            let last = folder.file("last")
            try CheckpointTests.save(CheckpointTests.store(seed: 1), step: 1, to: last, swap: swap)
            let newer = CheckpointTests.store(seed: 2)
            try CheckpointTests.save(newer, step: 2, to: last, swap: swap)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["last"], "\(swap)")
            let back = CheckpointTests.store(seed: 7)
            #expect(try Checkpoint.load(from: last, into: back).state.step == 2)
            #expect(TinyTraining.snapshot(back).difference(from: TinyTraining.snapshot(newer)) == nil)
        }
    }

    /// The two-rename fallback's crash window: `last` renamed away, the new folder not yet renamed in.
    @Test func aSwapCutBetweenItsRenamesIsRecovered() throws {
        let folder = TemporaryFolder()
        let last = folder.file("last")
        let store = CheckpointTests.store(seed: 1)
        try CheckpointTests.save(store, step: 1, to: last)
        try FileManager.default.moveItem(atPath: last, toPath: AtomicFolder.previousPath(of: last))
        try FileManager.default.createDirectory(atPath: AtomicFolder.temporaryPath(of: last), withIntermediateDirectories: false)

        #expect(AtomicFolder.resolve(last) == AtomicFolder.previousPath(of: last))
        let back = CheckpointTests.store(seed: 5)
        #expect(try Checkpoint.load(from: last, into: back).state.step == 1)
        #expect(TinyTraining.snapshot(back).difference(from: TinyTraining.snapshot(store)) == nil)

        // The next save puts things in order first: the previous folder back as `last`, the stale temporary gone.
        try CheckpointTests.save(CheckpointTests.store(seed: 2), step: 2, to: last, swap: .twoRenames)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["last"])
        #expect(try Checkpoint.readState(of: last).step == 2)
    }

    /// A sink that accepts `capacity` bytes, then fails like a full disk; it records whether it was committed.
    final class FullDisk: ByteSink {
        let path: String
        private let file: AtomicFile
        private var room: Int
        init(path: String, capacity: Int) throws {
            self.path = path
            file = try AtomicFile(path: path)
            room = capacity
        }
        func write(_ bytes: UnsafeRawBufferPointer) throws {
            guard bytes.count <= room else {
                file.abandon()
                throw RuntimeFailure("\(path): write failed (No space left on device)")
            }
            room -= bytes.count
            try file.write(bytes)
        }
        func commit() throws { try file.commit() }
        func abandon() { file.abandon() }
    }

    @Test func aDiskFullingMidWriteNamesTheFileAndKeepsThePreviousCheckpoint() throws {
        let folder = TemporaryFolder()
        let last = folder.file("last")
        try CheckpointTests.save(CheckpointTests.store(seed: 1), step: 1, to: last)
        let before = Checkpoint.files.map { CheckpointTests.bytes("\(last)/\($0)") }

        // Room for the weights, not for all of the optimizer state: the failure comes in the second file.
        let weightsBytes = CheckpointTests.bytes("\(last)/\(Checkpoint.weightsFile)")!.count
        var written = 0
        #expect {
            try Checkpoint.write(to: last, parameters: CheckpointTests.store(seed: 2), optimizer: CheckpointTests.adam(step: 2),
                                 state: CheckpointTests.state(step: 2)) { path in
                defer { written += 1 }
                return try FullDisk(path: path, capacity: written == 0 ? weightsBytes : 10_000)
            }
        } throws: { error in
            let message = "\(error)"
            return message.hasPrefix("\(last)/\(Checkpoint.optimizerFile): ") && message.contains("No space left on device")
                && message.contains("still holds the previous one")
        }
        #expect(Checkpoint.files.map { CheckpointTests.bytes("\(last)/\($0)") } == before, "the previous checkpoint changed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["last"], "a temporary folder was left")
        #expect(try Checkpoint.load(from: last, into: CheckpointTests.store(seed: 3)).state.step == 1)
    }

    // MARK: - What loading refuses

    /// Saves a checkpoint, lets `damage` spoil it, and returns the error loading it gives.
    static func loadError(_ damage: (String) throws -> Void) throws -> InputError? {
        let folder = TemporaryFolder()
        let last = folder.file("last")
        try save(store(), step: 3, to: last)
        try damage(last)
        do {
            _ = try Checkpoint.load(from: last, into: store(seed: 4))
            return nil
        } catch let error as InputError {
            return error
        }
    }

    @Test func aMissingFileIsNamed() throws {
        for name in Checkpoint.files {
            let error = try CheckpointTests.loadError { try FileManager.default.removeItem(atPath: "\($0)/\(name)") }
            #expect(error?.file.hasSuffix("/last/\(name)") == true, "\(name): \(String(describing: error))")
            #expect(error?.problem.contains("missing") == true)
        }
        let error = try CheckpointTests.loadError { try FileManager.default.removeItem(atPath: $0) }
        #expect(error?.problem.contains("no such folder") == true)
    }

    @Test func truncatedOrCorruptOptimizerStateIsNamed() throws {
        func rewrite(_ last: String, _ change: (inout Data) -> Void) throws {
            let path = "\(last)/\(Checkpoint.optimizerFile)"
            var data = FileManager.default.contents(atPath: path)!
            change(&data)
            try data.write(to: URL(fileURLWithPath: path))
        }
        let cases: [(String, (inout Data) -> Void, String)] = [
            ("cut in half", { $0 = $0.prefix($0.count / 2) }, "truncated"),
            ("last bytes lost", { $0 = $0.prefix($0.count - 3) }, "truncated"),
            ("a flipped byte", { $0[$0.count / 2] ^= 0x40 }, "corrupt"),
            ("not zstd", { $0 = Data(repeating: 7, count: 100) }, "not zstd"),
            ("empty", { $0 = Data() }, "truncated"),
            ("trailing garbage", { $0.append(contentsOf: [1, 2, 3]) }, "trailing"),
        ]
        for (label, change, problem) in cases {
            let error = try CheckpointTests.loadError { try rewrite($0, change) }
            #expect(error?.file.hasSuffix("/last/\(Checkpoint.optimizerFile)") == true, "\(label): \(String(describing: error))")
            #expect(error?.problem.contains(problem) == true, "\(label): \(String(describing: error))")
        }
    }

    @Test func anotherNetworksCheckpointIsRefusedNamingTheFile() throws {
        let folder = TemporaryFolder()
        try CheckpointTests.save(CheckpointTests.store(classes: 3), step: 1, to: folder.file("last"))
        #expect {
            _ = try Checkpoint.load(from: folder.file("last"), into: CheckpointTests.store(classes: 2))
        } throws: { error in
            (error as? InputError)?.file.hasSuffix("/last/\(Checkpoint.weightsFile)") == true
                && (error as? InputError)?.problem.contains("out.weight") == true
        }
        // The optimizer state alone, against another network: refused by the tensor it disagrees on.
        try FileManager.default.createDirectory(atPath: folder.file("other"), withIntermediateDirectories: false)
        try OptimizerStateFile.write(CheckpointTests.adam(step: 1), moments: CheckpointTests.store(classes: 3),
                                     to: try AtomicFile(path: folder.file("other/optimizer.zst")))
        #expect {
            _ = try OptimizerStateFile.read(folder.file("other/optimizer.zst"), moments: CheckpointTests.store(classes: 2))
        } throws: { error in
            (error as? InputError)?.problem.contains("out.weight") == true
        }
    }

    @Test func badStateAndMismatchedStepsAreNamed() throws {
        let garbage = try CheckpointTests.loadError { try Data("{\"step\": 3}".utf8).write(to: URL(fileURLWithPath: "\($0)/state.json")) }
        #expect(garbage?.file.hasSuffix("/last/state.json") == true)
        #expect(garbage?.problem.contains("not a checkpoint state") == true)

        let mismatch = try CheckpointTests.loadError { last in
            let newer = TemporaryFolder()
            try CheckpointTests.save(CheckpointTests.store(), step: 4, to: newer.file("last"))
            try FileManager.default.removeItem(atPath: "\(last)/state.json")
            try FileManager.default.copyItem(atPath: newer.file("last/state.json"), toPath: "\(last)/state.json")
        }
        #expect(mismatch?.file.hasSuffix("/last/optimizer.zst") == true)
        #expect(mismatch?.problem.contains("different checkpoints") == true)
    }

    @Test func theStreamingWorkspaceIsWhatThePlanCounts() {
        let graph = LayerGraph(configuration: UNetConfiguration(), patch: Extent3(16, 16, 16), microBatch: 1)
        let largest = graph.parameters.filter { $0.elementType == .float32 }.map(\.elements).max()!
        #expect(PersistentMemory(graph: graph).checkpointScratchBytes
                == largest * 4 + ZstdStreaming.workspaceBytes + PersistentMemory.checkpointIOBytes)
        // Bounded, and small beside the 7 MiB conversion buffer it sits next to.
        #expect(ZstdStreaming.workspaceBytes < 2 << 20)
    }
}
