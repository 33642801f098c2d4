import Foundation

/// One case's image or labels inside a pack, read box by box: only the chunks a box touches are decompressed
/// (through the pack's shared `PackChunkCache`), and their voxels copied out, widened to Float for `read` or
/// as class indices for `readLabels`.
///
/// A chunk that cannot be read (its checksum does not match, its zstd data is corrupt) reads as zeros and is
/// remembered; `checkUnchanged()` then throws it as an `InputError` naming the pack, the case and the chunk.
/// Every reader calls `checkUnchanged()` after reading (and before), so a damaged chunk stops the command
/// with exit 2 instead of being trained on.
public final class PackedVolume: VolumeSource, @unchecked Sendable {
    public enum Part: Sendable { case image, labels }

    public let archive: PackArchive
    public let caseIndex: Int
    public let part: Part
    public let shape: VolumeShape
    public let caseID: String
    public var path: String { archive.path }
    public var elementType: ElementType { part == .image ? archive.directory.imageType : .uint8 }
    public var isXFastestOnDisk: Bool { false }
    let grid: PackChunkGrid
    private let firstEntry: Int
    private let cache: PackChunkCache
    private let failureLock = NSLock()
    private var failure: InputError?

    init(archive: PackArchive, caseIndex: Int, part: Part) {
        let item = archive.directory.cases[caseIndex]
        self.archive = archive
        self.caseIndex = caseIndex
        self.part = part
        caseID = item.id
        let s = item.volumeShape
        shape = part == .image ? s : VolumeShape(x: s.x, y: s.y, z: s.z)
        grid = PackChunkGrid(extent: s.spatial, edge: archive.chunkEdge)
        firstEntry = item.firstEntry + (part == .image ? 0 : grid.chunkCount)
        cache = part == .image ? archive.imageCache : archive.labelCache
    }

    public func read(_ box: Box3, into destination: UnsafeMutablePointer<Float>) {
        let type = elementType
        copyChunks(box, channels: shape.channels, into: UnsafeMutableRawPointer(destination), elementBytes: MemoryLayout<Float>.size) { source, target, count in
            ElementConversion.toFloat(source, type: type, count: count, into: target.assumingMemoryBound(to: Float.self))
        }
    }

    public func readLabels(_ box: Box3, into destination: UnsafeMutablePointer<UInt8>) {
        guard part == .labels else { return readLabelsThroughFloats(box, into: destination) }
        copyChunks(box, channels: 1, into: UnsafeMutableRawPointer(destination), elementBytes: 1) { source, target, count in
            target.copyMemory(from: source, byteCount: count)
        }
    }

    /// Walks the chunks `box` touches, calling `copy(source, destination, elements)` for each contiguous run of
    /// `z · channels` values the box shares with a chunk; a chunk that fails fills its part with zeros.
    private func copyChunks(_ box: Box3, channels c: Int, into destination: UnsafeMutableRawPointer, elementBytes: Int,
                            _ copy: (UnsafeRawPointer, UnsafeMutableRawPointer, Int) -> Void) {
        precondition(box.isInside(shape.spatial), "box \(box) outside \(shape) in \(path)")
        guard box.size.volume > 0 else { return }
        let stored = elementType.byteSize
        for cx in grid.range(of: box, axis: 0) {
            for cy in grid.range(of: box, axis: 1) {
                for cz in grid.range(of: box, axis: 2) {
                    let chunk = grid.box(cx, cy, cz)
                    let shared = PackChunkGrid.intersection(box, chunk)!
                    let entry = firstEntry + grid.index(cx, cy, cz)
                    func rows(_ body: (Int, Int) -> Void) {
                        for x in shared.origin.x..<(shared.origin.x + shared.size.x) {
                            for y in shared.origin.y..<(shared.origin.y + shared.size.y) {
                                let from = ((x - chunk.origin.x) * chunk.size.y + (y - chunk.origin.y)) * chunk.size.z + (shared.origin.z - chunk.origin.z)
                                let to = ((x - box.origin.x) * box.size.y + (y - box.origin.y)) * box.size.z + (shared.origin.z - box.origin.z)
                                body(from * c, to * c)
                            }
                        }
                    }
                    let run = shared.size.z * c
                    do {
                        try cache.withChunk(entry: entry, compressed: archive.compressed(entry), crc: archive.table[entry].crc,
                                            count: chunk.size.volume * c * stored) { data in
                            rows { from, to in copy(data + from * stored, destination + to * elementBytes, run) }
                        }
                    } catch let problem as PackChunkCache.Problem {
                        record(entry: entry, problem.reason)
                        rows { _, to in (destination + to * elementBytes).initializeMemory(as: UInt8.self, repeating: 0, count: run * elementBytes) }
                    } catch {
                        record(entry: entry, "\(error)")
                    }
                }
            }
        }
    }

    private func record(entry: Int, _ reason: String) {
        let item = archive.directory.cases[caseIndex]
        let what = PackArchive.describe(entry: entry, of: item, edge: archive.chunkEdge, imageType: archive.directory.imageType)
        failureLock.lock()
        defer { failureLock.unlock() }
        if failure == nil { failure = InputError(path, "case '\(caseID)', \(what): \(reason)") }
    }

    public func releasePages() {
        let span = archive.caseSpans[caseIndex]
        archive.file.release(offset: span.lowerBound, count: span.count)
    }

    public func checkUnchanged() throws {
        try archive.file.checkNotShortened(reportedPath: path)
        failureLock.lock()
        defer { failureLock.unlock() }
        if let failure { throw failure }
    }

    /// The source image's NIfTI header (its geometry), when the case came from NIfTI.
    public var niftiHeader: NIfTIHeader? {
        guard let text = archive.directory.cases[caseIndex].niftiHeader, let data = Data(base64Encoded: text) else { return nil }
        return data.withUnsafeBytes { try? NIfTIHeader(parsing: $0, file: path) }
    }

    /// The foreground index stored with the labels, if it was built with `maximumPerClass`; nil otherwise.
    func storedForegroundIndex(maximumPerClass: Int) throws -> ForegroundIndex? {
        guard part == .labels, archive.directory.maximumPerClass == maximumPerClass else { return nil }
        let entry = archive.directory.cases[caseIndex].firstEntry + 2 * grid.chunkCount
        let what = "case '\(caseID)', foreground index"
        let bytes = archive.compressed(entry)
        guard CRC32.of(bytes) == archive.table[entry].crc else { throw InputError(path, "\(what): checksum mismatch (the chunk's bytes are damaged)") }
        let index: ForegroundIndex
        do {
            let decoded = try ZstdCodec.decompress(bytes, source: path, maximumSize: ForegroundIndexCache.largestEntry)
            index = try ForegroundIndex(decoding: decoded, source: path)
        } catch let error as InputError {
            throw InputError(path, "\(what): \(error.problem)")
        }
        guard index.extent == shape.spatial, index.classCount <= archive.directory.classes else {
            throw InputError(path, "\(what): describes \(index.extent) with \(index.classCount) classes, the case is \(shape.spatial)")
        }
        return index
    }
}
