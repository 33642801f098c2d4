import Foundation

/// The safetensors format: an 8-byte little-endian header length, a JSON header mapping each tensor name to
/// `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the end of the header), an optional
/// `"__metadata__"` map of strings, then the tensors' bytes. PyTorch users load it with
/// `safetensors.torch.load_file(path)`.
enum Safetensors {
    struct Entry: Hashable, Sendable {
        let name: String
        let elementType: ElementType
        let shape: [Int]
        /// Byte range inside the data section.
        let range: Range<Int>
    }

    static func dtypeName(_ type: ElementType) -> String {
        switch type {
        case .float32: return "F32"
        case .float16: return "F16"
        case .float64: return "F64"
        case .uint8: return "U8"
        case .int8: return "I8"
        case .uint16: return "U16"
        case .uint32: return "U32"
        case .int16: return "I16"
        case .int32: return "I32"
        case .int64: return "I64"
        case .bool: return "BOOL"
        }
    }

    static func elementType(_ name: String) -> ElementType? {
        ElementType.allCases.first { dtypeName($0) == name }
    }

    /// Writes tensors in the given order, atomically. `emit(i, write)` hands tensor i's raw little-endian bytes to
    /// `write` (in one or several pieces), so the file streams to disk without ever being built in memory.
    static func write(path: String, tensors: [(name: String, elementType: ElementType, shape: [Int])],
                             metadata: [String: String] = [:],
                             emit: (Int, (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try write(to: try AtomicFile(path: path), tensors: tensors, metadata: metadata, emit: emit)
    }

    /// The same, into any sink (committed at the end; abandoned if anything throws).
    static func write(to file: any ByteSink, tensors: [(name: String, elementType: ElementType, shape: [Int])],
                             metadata: [String: String] = [:],
                             emit: (Int, (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        var committed = false
        defer { if !committed { file.abandon() } }
        var header: [String: Any] = [:]
        var offset = 0
        for t in tensors {
            let count = t.shape.reduce(1, *) * t.elementType.byteSize
            header[t.name] = ["dtype": dtypeName(t.elementType), "shape": t.shape, "data_offsets": [offset, offset + count]] as [String: Any]
            offset += count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces so the data section starts 8-byte aligned, as the reference writer does.
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var length = UInt64(json.count).littleEndian
        try withUnsafeBytes(of: &length) { try file.write($0) }
        try json.withUnsafeBytes { try file.write($0) }
        for i in tensors.indices {
            var written = 0
            try emit(i) { piece in
                try file.write(piece)
                written += piece.count
            }
            let expected = tensors[i].shape.reduce(1, *) * tensors[i].elementType.byteSize
            precondition(written == expected, "\(tensors[i].name): \(written) bytes for \(expected)")
        }
        try file.commit()
        committed = true
    }

    /// A safetensors file mapped read-only.
    final class Reader: @unchecked Sendable {
        let path: String
        let entries: [String: Entry]
        let metadata: [String: String]
        private let file: MappedFile
        private let dataStart: Int

        init(path: String) throws {
            file = try MappedFile(path: path)
            self.path = path
            guard file.size >= 8 else { throw InputError(path, "not a safetensors file (too short)") }
            let length = file.bytes(at: 0, count: 8).loadUnaligned(as: UInt64.self).littleEndian
            guard length < 100_000_000, 8 + Int(length) <= file.size else {
                throw InputError(path, "not a safetensors file (bad header length \(length))")
            }
            let headerBytes = Data(file.bytes(at: 8, count: Int(length)))
            guard let header = try? JSONSerialization.jsonObject(with: headerBytes) as? [String: Any] else {
                throw InputError(path, "not a safetensors file (header is not a JSON object)")
            }
            dataStart = 8 + Int(length)
            var entries: [String: Entry] = [:]
            var metadata: [String: String] = [:]
            for (name, value) in header {
                if name == "__metadata__" {
                    metadata = value as? [String: String] ?? [:]
                    continue
                }
                let shown = OneLine.escaped(name)
                guard let fields = value as? [String: Any], let dtype = fields["dtype"] as? String,
                      let type = Safetensors.elementType(dtype), let shape = fields["shape"] as? [Int],
                      let offsets = fields["data_offsets"] as? [Int], offsets.count == 2 else {
                    throw InputError(path, "malformed safetensors entry '\(shown)'")
                }
                guard let bytes = Checked.byteCount(shape, elementSize: type.byteSize) else {
                    throw InputError(path, "tensor '\(shown)' has a negative or overflowing shape \(OneLine.escaped("\(shape)"))")
                }
                // Offsets are relative to the data section: a negative one would read the JSON header's bytes.
                guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] - offsets[0] == bytes,
                      let end = Checked.sum(dataStart, offsets[1]), end <= file.size else {
                    throw InputError(path, "truncated or inconsistent tensor '\(shown)' (data_offsets \(OneLine.escaped("\(offsets)")) for \(bytes) bytes in a \(file.size - dataStart)-byte data section)")
                }
                entries[name] = Entry(name: name, elementType: type, shape: shape, range: offsets[0]..<offsets[1])
            }
            self.entries = entries
            self.metadata = metadata
        }

        /// The raw bytes of a tensor.
        func bytes(of entry: Entry) -> UnsafeRawBufferPointer {
            file.bytes(at: dataStart + entry.range.lowerBound, count: entry.range.count)
        }

        /// Gives the pages of a tensor read so far back to the kernel, so reading a whole file tensor by tensor
        /// holds one tensor's pages at a time, not the file's.
        func release(_ entry: Entry) {
            file.release(offset: dataStart + entry.range.lowerBound, count: entry.range.count)
        }
    }
}
