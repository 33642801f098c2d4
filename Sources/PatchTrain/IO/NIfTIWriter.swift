/// Writes NIfTI-1 single files, atomically: `.nii` as is, `.nii.gz` (chosen by the name) gzip-compressed.
///
/// The streaming form takes elements already in NIfTI order (x fastest) and little-endian; the static helpers
/// take patchtrain's channel-last C-order arrays and transpose them slab by slab, so memory beyond the caller's
/// array is one z-slice.
final class NIfTIWriter {
    let path: String
    let header: NIfTIHeader
    private let sink: ByteSink
    private let dataByteCount: Int
    private var written = 0

    /// Starts a file for `header` (which must have a supported datatype); the data must follow via `append`.
    init(path: String, header: NIfTIHeader) throws {
        guard let type = header.elementType else {
            throw RuntimeFailure("\(path): cannot write NIfTI datatype code \(header.datatypeCode)")
        }
        var header = header
        header.voxOffset = NIfTIHeader.singleFileDataOffset
        header.isBigEndian = false
        self.path = path
        self.header = header
        let dims = header.dim[0]
        dataByteCount = header.dim[1...max(dims, 1)].reduce(1, *) * type.byteSize
        sink = NIfTIWriter.isGzipName(path) ? try GzipFileWriter(path: path) : try AtomicFile(path: path)
        try sink.write(header.encoded())
    }

    /// Whether a name asks for gzip compression (`.nii.gz`, or any `.gz`).
    static func isGzipName(_ path: String) -> Bool { path.lowercased().hasSuffix(".gz") }

    /// Appends raw little-endian elements in NIfTI order.
    func append(raw bytes: UnsafeRawBufferPointer) throws {
        precondition(written + bytes.count <= dataByteCount, "more data than the header's dims hold")
        try sink.write(bytes)
        written += bytes.count
    }

    /// Checks that every element was written, then makes the file visible under its name.
    func finish() throws {
        guard written == dataByteCount else {
            sink.abandon()
            throw RuntimeFailure("\(path): wrote \(written) of \(dataByteCount) data bytes")
        }
        try sink.commit()
    }

    /// Gives up: nothing appears under `path`.
    func abandon() { sink.abandon() }

    /// A header for a new volume of `shape` and `elementType`, in the same place as `reference` when given
    /// (voxel sizes, qform and sform copied), else at unit voxels with no orientation codes. Unscaled.
    static func header(shape: VolumeShape, elementType: ElementType, like reference: NIfTIHeader?) -> NIfTIHeader {
        var header = NIfTIHeader(shape: shape, elementType: elementType)
        if let reference { header.copyGeometry(from: reference) }
        header.descrip = "patchtrain"
        return header
    }

    /// Writes a label map given as `(x, y, z)` C-order UInt8 values.
    static func writeLabels(_ labels: UnsafeBufferPointer<UInt8>, shape: Extent3, like reference: NIfTIHeader?, to path: String) throws {
        try write(labels, shape: VolumeShape(x: shape.x, y: shape.y, z: shape.z), elementType: .uint8, like: reference, to: path)
    }

    static func writeLabels(_ labels: [UInt8], shape: Extent3, like reference: NIfTIHeader?, to path: String) throws {
        try labels.withUnsafeBufferPointer { try writeLabels($0, shape: shape, like: reference, to: path) }
    }

    /// Writes float32 values given as `(x, y, z)` or `(x, y, z, c)` C-order (e.g. class probabilities);
    /// channels become NIfTI's 4th dimension.
    static func writeFloats(_ values: UnsafeBufferPointer<Float>, shape: VolumeShape, like reference: NIfTIHeader?, to path: String) throws {
        try write(values, shape: shape, elementType: .float32, like: reference, to: path)
    }

    static func writeFloats(_ values: [Float], shape: VolumeShape, like reference: NIfTIHeader?, to path: String) throws {
        try values.withUnsafeBufferPointer { try writeFloats($0, shape: shape, like: reference, to: path) }
    }

    private static func write<T: BitwiseCopyable>(_ values: UnsafeBufferPointer<T>, shape: VolumeShape, elementType: ElementType,
                                                  like reference: NIfTIHeader?, to path: String) throws {
        precondition(values.count == shape.elements, "\(values.count) values for shape \(shape)")
        let writer = try NIfTIWriter(path: path, header: header(shape: shape, elementType: elementType, like: reference))
        try writer.appendTransposed(values, shape: shape)
        try writer.finish()
    }

    /// Appends a whole channel-last C-order array in NIfTI order, one (z, channel) slice at a time.
    private func appendTransposed<T: BitwiseCopyable>(_ values: UnsafeBufferPointer<T>, shape: VolumeShape) throws {
        let (nx, ny, nz, c) = (shape.x, shape.y, shape.z, shape.channels)
        let slice = UnsafeMutableBufferPointer<T>.allocate(capacity: nx * ny)
        defer { slice.deallocate() }
        for ch in 0..<c {
            for z in 0..<nz {
                for y in 0..<ny {
                    for x in 0..<nx {
                        slice[x + nx * y] = values[((x * ny + y) * nz + z) * c + ch]
                    }
                }
                try append(raw: UnsafeRawBufferPointer(slice))
            }
        }
    }
}
