/// A NIfTI-1 image (`.nii`, or `.nii.gz` through a decompressed cache copy) read through a read-only memory map.
///
/// The array axes are read as stored: NIfTI's `(i, j, k)` become patchtrain's `(x, y, z)` and the 4th dimension
/// becomes the channels. Nothing is reoriented; the header's affine is kept so outputs can be written with the
/// same geometry. Values are converted to Float with `scl_slope`/`scl_inter` applied, and byte-swapped when the
/// file was written big-endian.
public final class NIfTIVolume: VolumeSource, @unchecked Sendable {
    /// The file as the user named it (the `.nii.gz`, not the cache copy).
    public let path: String
    public let header: NIfTIHeader
    public let shape: VolumeShape
    public let elementType: ElementType
    /// NIfTI stores x fastest, then y, z and the 4th dimension (our channels).
    public var isXFastestOnDisk: Bool { true }
    /// The voxel-to-world affine (sform, else qform, else voxel sizes).
    public var affine: AffineMatrix { header.affine }
    /// The file actually mapped: `path` itself, or the decompressed copy of a `.nii.gz`.
    public let mappedPath: String
    private let file: MappedFile
    private let scaling: (slope: Float, intercept: Float)?

    /// Opens `path`; a gzip-compressed file (detected from its first bytes, whatever its name) is decompressed
    /// once into `cacheFolder` and the copy mapped.
    public init(path: String, cacheFolder: String = CacheFolder.defaultPath) throws {
        var file = try MappedFile(path: path)
        if NIfTIVolume.isGzip(file) {
            let copy = try NIfTIGzipCache.decompressedPath(for: path, cacheFolder: cacheFolder)
            file = try MappedFile(path: copy)
        }
        let header = try NIfTIHeader(parsing: file.bytes(at: 0, count: min(file.size, NIfTIHeader.headerSize)), file: path)
        let shape = try header.volumeShape(file: path)
        let type = header.elementType!  // the parser refuses unsupported datatypes
        let needed = shape.elements * type.byteSize
        let available = file.size - header.voxOffset
        guard available >= needed else {
            throw InputError(path, "truncated: \(shape) \(type) needs \(needed) data bytes after offset \(header.voxOffset), file has \(max(available, 0))")
        }
        self.path = path
        self.header = header
        self.shape = shape
        self.elementType = type
        self.mappedPath = file.path
        self.file = file
        self.scaling = header.scaling
    }

    private static func isGzip(_ file: MappedFile) -> Bool {
        guard file.size >= 2 else { return false }
        let head = file.bytes(at: 0, count: 2)
        return head[0] == 0x1F && head[1] == 0x8B
    }

    public func read(_ box: Box3, into destination: UnsafeMutablePointer<Float>) {
        precondition(box.isInside(shape.spatial), "box \(box) outside \(shape) in \(path)")
        guard box.size.volume > 0 else { return }
        let item = elementType.byteSize
        let c = shape.channels
        let data = file.bytes(at: header.voxOffset, count: shape.elements * item).baseAddress!
        let (sx, sy, sz) = (box.size.x, box.size.y, box.size.z)
        // NIfTI stores x fastest, so a box is contiguous along x alone: gather one x-run at a time,
        // fix its byte order if needed, widen it to Float, and scatter it into the channel-last destination.
        let run = UnsafeMutablePointer<Float>.allocate(capacity: sx)
        defer { run.deallocate() }
        let swapBuffer: UnsafeMutableRawPointer? = header.isBigEndian && item > 1
            ? .allocate(byteCount: sx * item, alignment: 8) : nil
        defer { swapBuffer?.deallocate() }
        for ch in 0..<c {
            for iz in 0..<sz {
                for iy in 0..<sy {
                    let start = box.origin.x + shape.x * ((box.origin.y + iy) + shape.y * ((box.origin.z + iz) + shape.z * ch))
                    var source = data + start * item
                    if let swapBuffer {
                        swapBuffer.copyMemory(from: source, byteCount: sx * item)
                        ByteOrder.swapInPlace(swapBuffer, elementSize: item, count: sx)
                        source = UnsafeRawPointer(swapBuffer)
                    }
                    ElementConversion.toFloat(source, type: elementType, count: sx, into: run)
                    if let (slope, intercept) = scaling {
                        // In Double, as other NIfTI readers do, so large stored integers scale without extra rounding.
                        let (m, b) = (Double(slope), Double(intercept))
                        for ix in 0..<sx { run[ix] = Float(Double(run[ix]) * m + b) }
                    }
                    for ix in 0..<sx {
                        destination[((ix * sy + iy) * sz + iz) * c + ch] = run[ix]
                    }
                }
            }
        }
    }

    public func releasePages() { file.release() }

    public func checkUnchanged() throws { try file.checkNotShortened(reportedPath: path) }
}
