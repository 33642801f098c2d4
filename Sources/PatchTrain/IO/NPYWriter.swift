/// Writes `.npy` files (format 1.0, or 2.0 when the header needs it), atomically.
///
/// `NPYWriter` streams: open it with the full shape, append the elements in C order in as many pieces as suits
/// the caller (a volume slab by slab), then `finish()`. A short or failed write leaves any previous file in place.
final class NPYWriter {
    let path: String
    let header: NPYHeader
    private let file: AtomicFile
    private var written = 0

    init(path: String, elementType: ElementType, shape: [Int]) throws {
        self.path = path
        self.header = NPYHeader(elementType: elementType, shape: shape)
        self.file = try AtomicFile(path: path)
        try file.write(header.encoded())
    }

    /// Appends raw little-endian elements of the writer's type.
    func append(raw bytes: UnsafeRawBufferPointer) throws {
        precondition(bytes.count % header.elementType.byteSize == 0, "partial element")
        precondition(written + bytes.count <= header.dataByteCount, "more data than the shape \(header.shape) holds")
        try file.write(bytes)
        written += bytes.count
    }

    func append<T: BitwiseCopyable>(_ values: UnsafeBufferPointer<T>) throws {
        precondition(MemoryLayout<T>.stride == header.elementType.byteSize, "element size mismatch")
        try append(raw: UnsafeRawBufferPointer(values))
    }

    func append<T: BitwiseCopyable>(_ values: [T]) throws {
        try values.withUnsafeBufferPointer { try append($0) }
    }

    /// Checks that every element was written, then makes the file visible under its name.
    func finish() throws {
        guard written == header.dataByteCount else {
            file.abandon()
            throw RuntimeFailure("\(path): wrote \(written) of \(header.dataByteCount) data bytes")
        }
        try file.commit()
    }

    /// Writes a whole array in one call.
    static func write<T: BitwiseCopyable>(_ values: [T], elementType: ElementType, shape: [Int], to path: String) throws {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        let writer = try NPYWriter(path: path, elementType: elementType, shape: shape)
        try writer.append(values)
        try writer.finish()
    }
}
