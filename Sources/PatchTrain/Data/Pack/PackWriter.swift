import Foundation

/// How `patchtrain pack` stores a dataset.
public struct PackSettings: Sendable {
    /// Chunk edge in voxels (docs/benchmarks.md, "Packs", measures 16, 32 and 64).
    public var chunkEdge: Int
    /// Store images as float32 (lossless for float32 sources) instead of the float16 training reads.
    public var keepFloat32: Bool
    /// zstd level.
    public var level: Int32

    public init(chunkEdge: Int = 32, keepFloat32: Bool = false, level: Int32 = 3) {
        self.chunkEdge = chunkEdge
        self.keepFloat32 = keepFloat32
        self.level = level
    }
}

/// What a pack holds and what it replaced.
public struct PackSummary: Sendable, Encodable {
    public let pack: String
    public let cases: Int
    public let chunks: Int
    public let packBytes: Int
    /// The source files' bytes (images and masks).
    public let sourceBytes: Int
    public let seconds: Double
}

/// Writes a dataset (any layout `Dataset` reads) as one pack file, atomically: header, directory and a
/// zeroed chunk table first, then every case's chunks (image, labels, foreground index) compressed one at a
/// time, then the table and the header over their placeholders. Memory: one chunk at a time, plus the
/// compressed foreground indexes of all cases (built in a first pass so the directory can state the classes).
public enum PackWriter {
    public typealias Progress = (_ done: Int, _ total: Int, _ caseID: String) -> Void

    public static func write(_ dataset: Dataset, to out: String, settings: PackSettings = PackSettings(),
                             progress: Progress? = nil) throws -> PackSummary {
        let started = Date()
        guard (8...256).contains(settings.chunkEdge) else { throw InputError(out, "chunk edge \(settings.chunkEdge): must be 8...256") }
        let check = dataset.check()
        if let first = check.problems.first { throw first }
        var indexes: [[UInt8]] = []
        var classes = check.classes ?? 2
        for item in check.cases {
            try item.trainingCase.mask.checkUnchanged()
            let index = try ForegroundIndex.build(from: item.trainingCase.mask)
            item.trainingCase.mask.releasePages()
            classes = max(classes, index.classCount)
            indexes.append(try ZstdCodec.compress(index.encoded()))
        }
        if let problem = LabelClasses.problem(classes) { throw InputError(dataset.path, "the labels need \(problem)") }
        let directory = PackWriter.directory(check, dataset: dataset, classes: classes, settings: settings)
        let directoryBytes = [UInt8](try JSONEncoder().encode(directory))
        let entries = directory.cases.last.map { $0.firstEntry + PackDirectory.entries(shape: $0.volumeShape, edge: settings.chunkEdge) } ?? 0
        let file = try AtomicFile(path: out)
        try file.write([UInt8](repeating: 0, count: PackHeader.size))
        try file.write(directoryBytes)
        try file.write([UInt8](repeating: 0, count: entries * PackChunkEntry.size))
        var sink = PackChunkSink(file: file, offset: PackHeader.size + directoryBytes.count + entries * PackChunkEntry.size)
        for (i, item) in check.cases.enumerated() {
            try PackCaseWriter(trainingCase: item.trainingCase, edge: settings.chunkEdge, imageType: directory.imageType,
                               classes: classes, level: settings.level).write(to: &sink)
            try sink.append(indexes[i])
            progress?(i + 1, check.cases.count, item.id)
        }
        var table: [UInt8] = []
        table.reserveCapacity(entries * PackChunkEntry.size)
        for entry in sink.entries { entry.append(to: &table) }
        let header = PackHeader(chunkEdge: UInt32(settings.chunkEdge), directoryOffset: UInt64(PackHeader.size),
                                directoryLength: UInt64(directoryBytes.count),
                                tableOffset: UInt64(PackHeader.size + directoryBytes.count), tableEntries: UInt64(entries),
                                directoryCRC: CRC32.of(directoryBytes), tableCRC: CRC32.of(table))
        try file.write(table, at: PackHeader.size + directoryBytes.count)
        try file.write(header.encoded(), at: 0)
        try file.commit()
        return PackSummary(pack: out, cases: check.cases.count, chunks: entries, packBytes: sink.offset,
                           sourceBytes: check.cases.reduce(0) { $0 + $1.diskBytes }, seconds: Date().timeIntervalSince(started))
    }

    static func directory(_ check: DatasetCheck, dataset: Dataset, classes: Int, settings: PackSettings) -> PackDirectory {
        var next = 0
        let cases = check.cases.map { item in
            let s = item.trainingCase.image.shape
            defer { next += PackDirectory.entries(shape: s, edge: settings.chunkEdge) }
            let header = VolumeGeometry.niftiHeader(of: item.trainingCase.image).map { Data($0.encoded()).base64EncodedString() }
            return PackDirectory.Case(id: item.id, shape: [s.x, s.y, s.z, s.channels], validation: item.entry.isValidation,
                                      firstEntry: next, niftiHeader: header)
        }
        return PackDirectory(format: PackDirectory.formatName, imageType: settings.keepFloat32 ? .float32 : .float16, classes: classes,
                             labelValues: dataset.labelValues, channelNames: dataset.channelNames, sourceLayout: dataset.layout.name,
                             maximumPerClass: ForegroundIndex.defaultMaximumPerClass, cases: cases)
    }
}

/// Appends compressed chunks to the pack and keeps their table entries.
struct PackChunkSink {
    let file: AtomicFile
    var offset: Int
    var entries: [PackChunkEntry] = []

    init(file: AtomicFile, offset: Int) {
        self.file = file
        self.offset = offset
    }

    mutating func append(_ compressed: [UInt8]) throws {
        try file.write(compressed)
        entries.append(PackChunkEntry(offset: UInt64(offset), length: UInt32(compressed.count), crc: CRC32.of(compressed)))
        offset += compressed.count
    }
}
