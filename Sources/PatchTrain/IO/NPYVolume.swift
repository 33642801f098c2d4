/// A `.npy` array read through a read-only memory map.
///
/// Shapes `(x, y, z)` and `(x, y, z, c)`. C order is read directly; Fortran order is read correctly too
/// (element `(x, y, z, c)` sits at `x + X·(y + Y·(z + Z·c))`), only more slowly, since a box is then
/// contiguous along x alone.
final class NPYVolume: VolumeSource, @unchecked Sendable {
    let path: String
    let header: NPYHeader
    let shape: VolumeShape
    var elementType: ElementType { header.elementType }
    var isXFastestOnDisk: Bool { header.fortranOrder }
    private let file: MappedFile

    init(path: String) throws {
        let file = try MappedFile(path: path)
        let head = file.bytes(at: 0, count: min(file.size, 1 << 20))
        let header = try NPYHeader(parsing: head, file: path)
        guard header.shape.count == 3 || header.shape.count == 4 else {
            throw InputError(path, "expected a 3D (x,y,z) or 4D (x,y,z,c) array, found shape \(header.shape)")
        }
        guard header.shape.allSatisfy({ $0 > 0 }) else {
            throw InputError(path, "empty array (shape \(header.shape))")
        }
        let available = file.size - header.dataOffset
        guard available >= header.dataByteCount else {
            throw InputError(path, "truncated: shape \(header.shape) \(header.elementType) needs \(header.dataByteCount) data bytes, file has \(max(available, 0))")
        }
        self.path = path
        self.file = file
        self.header = header
        let s = header.shape
        self.shape = VolumeShape(x: s[0], y: s[1], z: s[2], channels: s.count == 4 ? s[3] : 1)
    }

    func read(_ box: Box3, into destination: UnsafeMutablePointer<Float>) {
        precondition(box.isInside(shape.spatial), "box \(box) outside \(shape) in \(path)")
        guard box.size.volume > 0 else { return }
        let type = header.elementType
        let item = type.byteSize
        let c = shape.channels
        let data = file.bytes(at: header.dataOffset, count: header.dataByteCount).baseAddress!
        let (sx, sy, sz) = (box.size.x, box.size.y, box.size.z)
        if !header.fortranOrder {
            // Each (x, y) row of the box is one contiguous run of sz·c elements.
            let run = sz * c
            for ix in 0..<sx {
                for iy in 0..<sy {
                    let voxel = ((box.origin.x + ix) * shape.y + (box.origin.y + iy)) * shape.z + box.origin.z
                    let out = destination + (ix * sy + iy) * run
                    ElementConversion.toFloat(data + voxel * c * item, type: type, count: run, into: out)
                }
            }
        } else {
            // Fortran order: contiguous along x; gather one x-run at a time and scatter it.
            let run = UnsafeMutablePointer<Float>.allocate(capacity: sx)
            defer { run.deallocate() }
            for ch in 0..<c {
                for iz in 0..<sz {
                    for iy in 0..<sy {
                        let start = box.origin.x + shape.x * ((box.origin.y + iy) + shape.y * ((box.origin.z + iz) + shape.z * ch))
                        ElementConversion.toFloat(data + start * item, type: type, count: sx, into: run)
                        for ix in 0..<sx {
                            destination[((ix * sy + iy) * sz + iz) * c + ch] = run[ix]
                        }
                    }
                }
            }
        }
    }

    func releasePages() { file.release() }

    func checkUnchanged() throws { try file.checkNotShortened(reportedPath: path) }

    /// The raw element bytes (after the header), for callers that read the native type directly.
    var rawData: UnsafeRawBufferPointer { file.bytes(at: header.dataOffset, count: header.dataByteCount) }
}
