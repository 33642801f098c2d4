import Foundation
@testable import PatchTrain

/// One file kind under fuzzing: valid seed files written by the library's own writers, how to mutate one, how to
/// put the mutated bytes on disk, and what reads it (the same library calls the commands use).
struct FuzzKind {
    let name: String
    /// The input's file name (its extension decides the reader).
    let fileName: String
    let seeds: [[UInt8]]
    let mutate: (inout FuzzMutator, [UInt8]) -> [UInt8]
    /// Writes the mutated bytes to `path` (plain, or compressed for `.nii.gz`); `damage` allows damaging the
    /// encoded bytes too (never for a seed, which must be accepted).
    var write: (inout FuzzMutator, [UInt8], String, _ damage: Bool) throws -> Void = { _, bytes, path, _ in
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
    /// Reads `path` through the library; returns normally when the input is accepted.
    let read: (String) throws -> Void
    /// Whether an error about this input may name another file (a manifest names the volumes it lists).
    var errorsMayNameOtherFiles = false
}

/// The file kinds and their seeds, in `folder`.
final class FuzzWorld {
    let folder: String
    let store: ParameterStore
    let runFolder: RunFolder
    let cacheFolder: String

    /// A one-level network with one base filter: every tensor kind of the real one, a few hundred values.
    static let configuration = UNetConfiguration(inputChannels: 1, classes: 2, baseFilters: 1, depth: 1)

    init(folder: String) throws {
        self.folder = folder
        let graph = LayerGraph(configuration: FuzzWorld.configuration, patch: Extent3(2, 2, 2), microBatch: 1)
        store = ParameterStore(specs: graph.parameters)
        WeightInitializer.initialize(store, seed: 5)
        for i in 0..<store.trainableCount {
            store.firstMoments[i] = 1e-3 * Float(i % 7)
            store.secondMoments[i] = 1e-6 * Float(i % 5)
        }
        runFolder = try RunFolder.create("\(folder)/run")
        cacheFolder = "\(folder)/cache"
        for sub in ["images", "masks", "seeds"] {
            try FileManager.default.createDirectory(atPath: "\(folder)/\(sub)", withIntermediateDirectories: true)
        }
        try NPYWriter.write((0..<(6 * 5 * 4)).map { Float($0) }, elementType: .float32, shape: [6, 5, 4], to: "\(folder)/images/a.npy")
        try NPYWriter.write((0..<(6 * 5 * 4)).map { UInt8($0 % 2) }, elementType: .uint8, shape: [6, 5, 4], to: "\(folder)/masks/a.npy")
        try NPYWriter.write((0..<(6 * 5 * 4)).map { Float($0) }, elementType: .float32, shape: [6, 5, 4], to: "\(folder)/images/b.npy")
        try NPYWriter.write((0..<(6 * 5 * 4)).map { UInt8($0 % 2) }, elementType: .uint8, shape: [6, 5, 4], to: "\(folder)/masks/b.npy")
    }

    func seed(_ name: String, _ write: (String) throws -> Void) throws -> [UInt8] {
        let path = "\(folder)/seeds/\(name)"
        try write(path)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Reads a volume as every command does: header, then every voxel as floats and as labels.
    static func readVolume(_ volume: any VolumeSource) {
        let box = Box3(origin: .zero, size: volume.shape.spatial)
        _ = volume.readAll()
        let labels = UnsafeMutablePointer<UInt8>.allocate(capacity: box.size.volume)
        defer { labels.deallocate() }
        volume.readLabels(box, into: labels)
    }

    // MARK: The kinds

    func kinds() throws -> [FuzzKind] {
        [try npy(), try nifti(gzip: false), try nifti(gzip: true), try safetensors(), try manifest(), try plan(), try configuration(),
         try state(), try optimizer(), try pack()]
    }

    /// A pack of the world's two small cases. Mutations either damage raw bytes (stopped by the checksums), or
    /// damage one piece — the directory's JSON, a table entry, a chunk's bytes — and put the file back together
    /// with consistent offsets and checksums, so the checks behind the checksums are reached too.
    func pack() throws -> FuzzKind {
        let dataset = try Dataset(path: folder)
        let seeds = [
            try seed("a.ptpack") { _ = try PackWriter.write(dataset, to: $0, settings: PackSettings(chunkEdge: 8)) },
            try seed("b.ptpack") { _ = try PackWriter.write(dataset, to: $0, settings: PackSettings(chunkEdge: 8, keepFloat32: true)) },
        ]
        return FuzzKind(name: "pack", fileName: "input.ptpack", seeds: seeds, mutate: { m, seed in
            guard m.chance(0.7), var parts = try? PackBytes(seed) else {
                var bytes = seed
                m.anyByteMutation(&bytes)
                return bytes
            }
            switch m.below(4) {
            case 0:
                parts.directory = Array(m.mutateText(String(decoding: parts.directory, as: UTF8.self)).utf8)
            case 1:
                var table: [UInt8] = []
                for entry in parts.entries { entry.append(to: &table) }
                m.setWord(&table, at: m.below(parts.entries.count) * PackChunkEntry.size + m.pick([0, 8, 12]), width: m.pick([4, 8]))
                parts.entries = table.withUnsafeBytes { raw in (0..<parts.entries.count).map { PackChunkEntry(raw, at: $0) } }
            case 2:
                m.anyByteMutation(&parts.data)
                return parts.assembled(fixChunkCRCs: m.chance(0.8))
            default:
                parts.chunkEdge = UInt32(m.pick([0, 1, 7, 8, 16, 255, 256, 257, 1 << 31]))
            }
            return parts.assembled(fixChunkCRCs: m.chance(0.5))
        }, read: { path in
            let cases = try Dataset(path: path).openCases()
            for item in cases {
                FuzzWorld.readVolume(item.image)
                FuzzWorld.readVolume(item.mask)
                try item.image.checkUnchanged()
                try item.mask.checkUnchanged()
                _ = try (item.mask as? PackedVolume)?.storedForegroundIndex(maximumPerClass: ForegroundIndex.defaultMaximumPerClass)
            }
        })
    }

    func npy() throws -> FuzzKind {
        let seeds = [
            try seed("f4.npy") { try NPYWriter.write((0..<60).map { Float($0) / 7 }, elementType: .float32, shape: [3, 4, 5], to: $0) },
            try seed("u1.npy") { try NPYWriter.write((0..<120).map { UInt8($0 % 3) }, elementType: .uint8, shape: [3, 4, 5, 2], to: $0) },
            RawNPY.file(descr: "<f2", shape: [2, 3, 4], fortranOrder: true, data: [UInt8](repeating: 0x3C, count: 48)),
            RawNPY.file(descr: "<i8", shape: [2, 2, 2], version: 2, data: [UInt8](repeating: 1, count: 64)),
        ]
        return FuzzKind(name: "npy", fileName: "input.npy", seeds: seeds, mutate: { m, seed in
            var bytes = seed
            for _ in 0...m.below(2) {
                let headerEnd = bytes.count < 10 ? 0 : min(bytes.count, 10 + (Int(bytes[8]) | Int(bytes[9]) << 8))
                if m.chance(0.6) && headerEnd > 10 {
                    // The dict, edited as text; the header length kept (data shifts) or fixed to the new length.
                    let text = String(decoding: bytes[10..<headerEnd], as: UTF8.self)
                    let edited = Array(m.mutateText(text).utf8)
                    bytes.replaceSubrange(10..<headerEnd, with: edited)
                    if m.chance(0.7) && edited.count <= 0xFFFF {
                        bytes[8] = UInt8(edited.count & 0xFF)
                        bytes[9] = UInt8(edited.count >> 8)
                    }
                } else {
                    m.anyByteMutation(&bytes)
                }
            }
            return bytes
        }, read: { path in FuzzWorld.readVolume(try NPYVolume(path: path)) })
    }

    /// NIfTI-1 header fields and their widths, for field edits.
    static let niftiFields: [(offset: Int, width: Int, float: Bool)] = [
        (0, 4, false), (40, 2, false), (42, 2, false), (44, 2, false), (46, 2, false), (48, 2, false), (50, 2, false),
        (70, 2, false), (72, 2, false), (76, 4, true), (80, 4, true), (84, 4, true), (88, 4, true), (108, 4, true),
        (112, 4, true), (116, 4, true), (252, 2, false), (254, 2, false), (256, 4, true), (260, 4, true), (264, 4, true),
        (268, 4, true), (272, 4, true), (276, 4, true), (280, 4, true), (296, 4, true), (312, 4, true), (344, 4, false),
    ]

    func nifti(gzip: Bool) throws -> FuzzKind {
        let seeds = [
            try seed("f.nii") { try NIfTIWriter.writeFloats((0..<60).map { Float($0) }, shape: VolumeShape(x: 3, y: 4, z: 5), like: nil, to: $0) },
            try seed("l.nii") { try NIfTIWriter.writeLabels((0..<60).map { UInt8($0 % 3) }, shape: Extent3(5, 4, 3), like: nil, to: $0) },
            try seed("c.nii") { try NIfTIWriter.writeFloats((0..<48).map { Float($0) }, shape: VolumeShape(x: 2, y: 3, z: 4, channels: 2), like: nil, to: $0) },
        ]
        let cache = cacheFolder
        var kind = FuzzKind(name: gzip ? "nii.gz" : "nii", fileName: gzip ? "input.nii.gz" : "input.nii", seeds: seeds, mutate: { m, seed in
            var bytes = seed
            for _ in 0...m.below(2) {
                if m.chance(0.6) {
                    let field = m.pick(FuzzWorld.niftiFields)
                    if field.float { m.setFloat(&bytes, at: field.offset) } else { m.setWord(&bytes, at: field.offset, width: field.width) }
                } else {
                    m.anyByteMutation(&bytes)
                }
            }
            return bytes
        }, read: { path in
            FuzzWorld.readVolume(try NIfTIVolume(path: path, cacheFolder: cache))
        })
        if gzip {
            kind.write = { m, bytes, path, damage in
                // Mostly a valid gzip stream of a damaged NIfTI; sometimes the compressed bytes damaged too.
                let writer = try GzipFileWriter(path: path)
                try writer.write(bytes)
                try writer.commit()
                var compressed = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
                if damage && m.chance(0.3) {
                    m.anyByteMutation(&compressed)
                    try Data(compressed).write(to: URL(fileURLWithPath: path))
                }
                // A fresh cache per input: the copy is keyed by the file's identity, which a rewrite may keep.
                try? FileManager.default.removeItem(atPath: cache)
            }
        }
        return kind
    }

    func safetensors() throws -> FuzzKind {
        let store = store
        let seeds = [
            try seed("w.safetensors") { try WeightsFile.write(store, to: $0) },
            try seed("s.safetensors") { path in
                try Safetensors.write(path: path, tensors: [("a", .float32, [2, 3]), ("b", .uint8, [4]), ("c", .int64, [])]) { i, write in
                    try write(UnsafeRawBufferPointer(start: [UInt8](repeating: 7, count: 24), count: [24, 4, 8][i]))
                }
            },
        ]
        return FuzzKind(name: "safetensors", fileName: "input.safetensors", seeds: seeds, mutate: { m, seed in
            var bytes = seed
            for _ in 0...m.below(2) {
                let length = bytes.count < 8 ? Int.max - 8 : Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16
                if m.chance(0.6) && 8 + length <= bytes.count {
                    let text = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
                    let edited = Array(m.mutateText(text).utf8)
                    bytes.replaceSubrange(8..<(8 + length), with: edited)
                    if m.chance(0.7) {
                        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: UInt64(edited.count) >> (8 * UInt64(i))) }
                    }
                } else if m.chance(0.2) && bytes.count >= 8 {
                    m.setWord(&bytes, at: 0, width: 8)
                } else {
                    m.anyByteMutation(&bytes)
                }
            }
            return bytes
        }, read: { path in
            let reader = try Safetensors.Reader(path: path)
            var sum = 0
            for entry in reader.entries.values { sum &+= reader.bytes(of: entry).reduce(0) { $0 &+ Int($1) } }
            _ = sum
            try WeightsFile.read(path, into: store)
        })
    }

    static func textKind(_ name: String, fileName: String, seeds: [[UInt8]], errorsMayNameOtherFiles: Bool = false,
                         read: @escaping (String) throws -> Void) -> FuzzKind {
        FuzzKind(name: name, fileName: fileName, seeds: seeds, mutate: { m, seed in
            var bytes = seed
            if m.chance(0.8) {
                bytes = Array(m.mutateText(String(decoding: bytes, as: UTF8.self)).utf8)
            }
            if m.chance(0.3) { m.anyByteMutation(&bytes) }
            return bytes
        }, read: read, errorsMayNameOtherFiles: errorsMayNameOtherFiles)
    }

    func manifest() throws -> FuzzKind {
        let seeds = [
            Array(#"{"classes": 2, "cases": [{"id": "a", "image": "images/a.npy", "mask": "masks/a.npy"}, {"image": "images/b.npy", "mask": "masks/b.npy"}], "validation": ["a"]}"#.utf8),
            Array(#"{"cases": [{"image": "images/a.npy", "mask": "masks/a.npy"}]}"#.utf8),
        ]
        return FuzzWorld.textKind("manifest", fileName: "manifest.json", seeds: seeds, errorsMayNameOtherFiles: true) { path in
            _ = try DatasetManifest(path: path)
            let check = try Dataset(path: path).check()
            for trainingCase in check.cases.map(\.trainingCase) {
                FuzzWorld.readVolume(trainingCase.image)
                FuzzWorld.readVolume(trainingCase.mask)
            }
        }
    }

    static func json<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(value))
    }

    func plan() throws -> FuzzKind {
        let planner = MemoryPlanner(configuration: FuzzWorld.configuration, volume: Extent3(6, 5, 4), effectiveBatch: 2,
                                    fixed: FixedMemory(runtimeBytes: 1 << 20, source: "test"), workspaceBytes: KernelWorkspace.bytes)
        let seeds = [try FuzzWorld.json(planner.plan(patch: Extent3(2, 2, 2), microBatch: 1, budget: 1 << 30)),
                     try FuzzWorld.json(planner.plan(patch: Extent3(4, 4, 2), microBatch: 2, budget: 1 << 30))]
        return FuzzWorld.textKind("plan.json", fileName: "plan.json", seeds: seeds) { path in
            let plan: MemoryPlan = try RunFolder.readJSON(path, what: "plan")
            // What `fit` does with an accepted plan before it allocates: the graph, its arena layout, the validation
            // memory and the epoch length.
            let graph = LayerGraph(configuration: plan.configuration, patch: plan.patch, microBatch: plan.microBatch,
                                   recomputation: plan.recomputation)
            _ = ArenaLayout(graph: graph).size
            _ = ValidationMemory(plan: plan).extraBytes
            _ = plan.predictedPeakBytes
            _ = RunConfiguration.stepsPerEpoch(trainingVoxels: 1 << 30, plan: plan)
        }
    }

    func configuration() throws -> FuzzKind {
        var configuration = RunConfiguration(data: "data", cases: ["a", "b"], steps: 100, epochs: 4, stepsPerEpoch: 25, learningRate: 1e-3,
                                             schedule: .poly, loss: .diceCrossEntropy, augmentation: .standard, seed: 7, effectiveBatch: 2,
                                             budgetBytes: 1 << 30, checkpointEvery: 10)
        configuration.validationCases = ["c"]
        configuration.validationEvery = 5
        let run = runFolder
        return FuzzWorld.textKind("config.json", fileName: "config.json", seeds: [try FuzzWorld.json(configuration)]) { path in
            try? FileManager.default.removeItem(atPath: run.configurationPath)
            try FileManager.default.copyItem(atPath: path, toPath: run.configurationPath)
            do {
                var read = try run.readConfiguration()
                _ = read.trainingOptions
                _ = try? read.setLength(steps: nil, epochs: 3)
            } catch let error as InputError where error.file == run.configurationPath {
                throw InputError(path, error.problem)
            }
        }
    }

    func state() throws -> FuzzKind {
        var state = TrainingState(step: 3, epoch: 1,
                                  sampler: PatchSamplerState(generator: SeededGenerator(seed: 3), drawn: 6, augmentation: SeededGenerator(seed: 4)),
                                  schedule: SchedulePosition(schedule: .cosine, baseLearningRate: 1e-3, totalSteps: 10, step: 3), loss: 0.5)
        let plain = try FuzzWorld.json(state)
        state.best = BestMetric(name: "validation mean foreground Dice", value: 0.5, higherIsBetter: true, step: 2)
        return FuzzWorld.textKind("state.json", fileName: "state.json", seeds: [plain, try FuzzWorld.json(state)]) { path in
            let state = try Checkpoint.readState(path)
            _ = state.schedule.nextRate
        }
    }

    func optimizer() throws -> FuzzKind {
        let store = store
        let compressed = try seed("optimizer.zst") {
            var adam = Adam(learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
            adam.step = 12
            try OptimizerStateFile.write(adam, moments: store, to: try AtomicFile(path: $0))
        }
        let payload = try ZstdCodec.decompress(compressed, source: "seed")
        return FuzzKind(name: "optimizer.zst", fileName: "optimizer.zst", seeds: [payload], mutate: { m, seed in
            var bytes = seed
            for _ in 0...m.below(2) {
                switch m.below(4) {
                case 0: m.setFloat(&bytes, at: m.pick([16, 20, 24, 28]))              // lr, beta1, beta2, epsilon
                case 1: m.setWord(&bytes, at: m.pick([8, 32, 36, 40]), width: m.pick([4, 8]))  // step, count, a name length
                case 2: m.setFloat(&bytes, at: 36 + 4 * m.below(max((bytes.count - 40) / 4, 1)))  // a moment (or a tensor header)
                default: m.anyByteMutation(&bytes)
                }
            }
            return bytes
        }, write: { m, bytes, path, damage in
            var file = try ZstdCodec.compress(bytes)
            // Sometimes the compressed frame itself is damaged (checksum, length, truncation).
            if damage && m.chance(0.3) {
                m.anyByteMutation(&file)
            }
            try Data(file).write(to: URL(fileURLWithPath: path))
        }, read: { path in _ = try OptimizerStateFile.read(path, moments: store) })
    }
}
