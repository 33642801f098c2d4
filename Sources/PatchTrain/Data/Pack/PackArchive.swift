import Foundation

/// An opened pack (`patchtrain pack`, docs/formats.md "Packs"): the file mapped read-only, its header, directory
/// and chunk table checked, and one chunk cache for images and one for labels shared by all its cases.
///
/// Opening reads only the header, the directory and the table, and checks that every table entry lies inside
/// the data area of the file (a truncated pack, or an index pointing past the end, is refused here naming the
/// case and the chunk). Each chunk's checksum is checked when the chunk is first decompressed.
public final class PackArchive: @unchecked Sendable {
    public let path: String
    let file: MappedFile
    let directory: PackDirectory
    let chunkEdge: Int
    let table: [PackChunkEntry]
    let imageCache: PackChunkCache
    let labelCache: PackChunkCache
    /// Bytes `[start, end)` of the file holding each case's chunks, for giving their pages back.
    let caseSpans: [Range<Int>]
    private let caseIndexes: [String: Int]

    /// Cases whose image and label x-layers the caches keep at once: the training sampler and the validator.
    static let concurrentReaders = 2

    public init(path: String) throws {
        let file = try MappedFile(path: path)
        let header = try PackHeader(parsing: file.bytes(at: 0, count: min(file.size, PackHeader.size)), file: path)
        let edge = Int(header.chunkEdge)
        guard (8...256).contains(edge) else { throw InputError(path, "chunk edge \(edge): must be 8...256") }
        func region(_ offset: UInt64, _ length: UInt64, _ what: String) throws -> Range<Int> {
            guard let start = Int(exactly: offset), let count = Int(exactly: length), let end = Checked.sum(start, count),
                  start >= PackHeader.size, end <= file.size else {
                throw InputError(path, "truncated or damaged: the \(what) at bytes \(offset)+\(length) lies past the end of the file (\(file.size) bytes)")
            }
            return start..<end
        }
        guard header.tableEntries <= UInt64(1 << 28) else { throw InputError(path, "\(header.tableEntries) table entries: more than a pack holds") }
        let directoryBytes = try region(header.directoryOffset, header.directoryLength, "directory")
        let tableBytes = try region(header.tableOffset, header.tableEntries * UInt64(PackChunkEntry.size), "chunk table")
        let rawDirectory = file.bytes(at: directoryBytes.lowerBound, count: directoryBytes.count)
        guard CRC32.of(rawDirectory) == header.directoryCRC else { throw InputError(path, "the directory's checksum does not match: the pack is damaged") }
        let rawTable = file.bytes(at: tableBytes.lowerBound, count: tableBytes.count)
        guard CRC32.of(rawTable) == header.tableCRC else { throw InputError(path, "the chunk table's checksum does not match: the pack is damaged") }
        do {
            directory = try JSONDecoder().decode(PackDirectory.self, from: Data(rawDirectory))
            try directory.check(chunkEdge: edge, tableEntries: Int(header.tableEntries))
        } catch let problem as FieldProblem {
            throw InputError(path, "directory: \(problem)")
        } catch is DecodingError {
            throw InputError(path, "directory: not the JSON a pack holds")
        }
        table = (0..<Int(header.tableEntries)).map { PackChunkEntry(rawTable, at: $0) }
        self.path = path
        self.file = file
        chunkEdge = edge
        caseSpans = try PackArchive.checkEntries(table, directory: directory, edge: edge,
                                                 dataStart: tableBytes.upperBound, fileSize: file.size, path: path)
        (imageCache, labelCache) = PackArchive.caches(directory: directory, edge: edge)
        caseIndexes = Dictionary(uniqueKeysWithValues: directory.cases.enumerated().map { ($1.id, $0) })
    }

    /// Every entry inside `[dataStart, fileSize)` and no longer than its chunk can compress to; the first that is
    /// not is named by case and chunk. Returns each case's byte span.
    private static func checkEntries(_ table: [PackChunkEntry], directory: PackDirectory, edge: Int, dataStart: Int,
                                     fileSize: Int, path: String) throws -> [Range<Int>] {
        try directory.cases.map { item in
            var low = Int.max, high = dataStart
            for entry in item.firstEntry..<(item.firstEntry + PackDirectory.entries(shape: item.volumeShape, edge: edge)) {
                let e = table[entry]
                guard let start = Int(exactly: e.offset), start >= dataStart, let end = Checked.sum(start, Int(e.length)), end <= fileSize,
                      e.length > 0, Int(e.length) <= (1 << 30) else {
                    let what = PackArchive.describe(entry: entry, of: item, edge: edge, imageType: directory.imageType)
                    throw InputError(path, "case '\(item.id)', \(what): bytes \(e.offset)+\(e.length) lie outside the data (\(dataStart)..<\(fileSize)); the pack is truncated or its index is damaged")
                }
                low = min(low, start)
                high = max(high, end)
            }
            return min(low, high)..<high
        }
    }

    /// One cache for image chunks and one for label chunks, each holding `concurrentReaders` full x-layers of
    /// the largest case's grid.
    static func caches(directory: PackDirectory, edge: Int) -> (PackChunkCache, PackChunkCache) {
        let layer = directory.cases.map { PackChunkGrid(extent: $0.volumeShape.spatial, edge: edge).layerCount }.max() ?? 1
        let channels = directory.cases.map { $0.shape[3] }.max() ?? 1
        let voxels = edge * edge * edge
        return (PackChunkCache(slotBytes: voxels * channels * directory.imageType.byteSize, slotCount: layer * concurrentReaders),
                PackChunkCache(slotBytes: voxels, slotCount: layer * concurrentReaders))
    }

    /// The memory reading this pack holds besides the mapped file: both caches, their contexts and the table.
    public var readingBytes: Int { imageCache.bytes + labelCache.bytes + table.count * MemoryLayout<PackChunkEntry>.stride }

    /// `image chunk 5 (x 32..<64, y 0..<32, z 0..<24)`, `label chunk 0 (…)` or `foreground index`.
    static func describe(entry: Int, of item: PackDirectory.Case, edge: Int, imageType: ElementType) -> String {
        let grid = PackChunkGrid(extent: item.volumeShape.spatial, edge: edge)
        let local = entry - item.firstEntry
        guard local < 2 * grid.chunkCount else { return "foreground index" }
        let chunk = local % grid.chunkCount
        let b = grid.box(chunk)
        let span = "x \(b.origin.x)..<\(b.origin.x + b.size.x), y \(b.origin.y)..<\(b.origin.y + b.size.y), z \(b.origin.z)..<\(b.origin.z + b.size.z)"
        return "\(local < grid.chunkCount ? "image" : "label") chunk \(chunk) (\(span))"
    }

    /// The compressed bytes of table entry `entry`.
    func compressed(_ entry: Int) -> UnsafeRawBufferPointer {
        file.bytes(at: Int(table[entry].offset), count: Int(table[entry].length))
    }

    /// The position of case `id` in the directory.
    func caseIndex(of id: String) -> Int? { caseIndexes[id] }

    /// Compressed bytes of case `index` (all its chunks and its index).
    func diskBytes(ofCase index: Int) -> Int { caseSpans[index].count }
}
