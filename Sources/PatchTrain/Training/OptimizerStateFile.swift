/// `optimizer.zst`: Adam's state — hyperparameters, step count, and both fp32 moments of every trainable
/// parameter in PyTorch's order — as one zstd frame (content size and checksum recorded). Layout of the
/// decompressed bytes, all little-endian (docs/formats.md, "Checkpoint folder"):
///
/// ```
/// "PTADAM01"                       8 bytes: what the file is, format version 1
/// step                             u64: updates applied so far (bias correction)
/// lr, beta1, beta2, epsilon        4 × f32
/// tensor count N                   u32
/// N times, in state_dict order:    name length u32, name UTF-8, rank u32, rank × u64 dimensions,
///                                  first moment (elements × f32), second moment (elements × f32)
/// ```
///
/// Written and read one tensor at a time through the store's `CheckpointScratch` (conversion to PyTorch's
/// order, the zstd context, the compressed-bytes buffer), so neither direction allocates anything of size.
enum OptimizerStateFile {
    static let magic = Array("PTADAM01".utf8)

    /// Streams `optimizer` and `store`'s moments into `sink`, committing it at the end (abandoned on any error).
    static func write(_ optimizer: Adam, moments store: ParameterStore, to sink: any ByteSink) throws {
        var committed = false
        defer { if !committed { sink.abandon() } }
        let trainable = store.specs.filter(\.trainable)
        let scratch = store.checkpointScratch
        let compressor = try ZstdStreamWriter(workspace: scratch.zstdWorkspace, output: scratch.io,
                                              totalBytes: payloadBytes(trainable)) { try sink.write($0) }
        var header = HeaderWriter()
        header.append(magic)
        header.append(UInt64(optimizer.step))
        for value in [optimizer.learningRate, optimizer.beta1, optimizer.beta2, optimizer.epsilon] { header.append(value.bitPattern) }
        header.append(UInt32(trainable.count))
        try header.flush(into: compressor)
        for spec in trainable {
            header.append(tensorHeader(spec))
            try header.flush(into: compressor)
            for block in [ParameterStore.Block.firstMoments, .secondMoments] {
                try store.withPyTorchOrder(of: block, spec.name) { try compressor.write(UnsafeRawBufferPointer($0)) }
            }
        }
        try compressor.finish()
        try sink.commit()
        committed = true
    }

    /// Reads `path` into `store`'s moments and returns the optimizer it describes. The file must describe exactly
    /// the store's trainable parameters, in order, with the same shapes; every value must be finite (and second
    /// moments not negative). Errors name the file and, where it applies, the tensor.
    static func read(_ path: String, moments store: ParameterStore) throws -> Adam {
        let scratch = store.checkpointScratch
        // First a pass that only checks the frame (checksum, length, trailing bytes), so that damage is reported as
        // what it is and nothing from a damaged file reaches the store; then the pass that reads it.
        try ZstdStreamReader(path: path, workspace: scratch.zstdWorkspace, input: scratch.io)
            .verifyToEnd(using: UnsafeMutableRawBufferPointer(scratch.conversion))
        let reader = try ZstdStreamReader(path: path, workspace: scratch.zstdWorkspace, input: scratch.io)
        var fixed = [UInt8](repeating: 0, count: 8 + 8 + 16 + 4)
        try fixed.withUnsafeMutableBytes { try reader.read(into: $0) }
        var fields = HeaderReader(fixed)
        guard Array(fields.bytes(8)) == magic else { throw InputError(path, "not a patchtrain optimizer state (bad magic)") }
        let step = fields.uint64()
        let learningRate = Float(bitPattern: fields.uint32()), beta1 = Float(bitPattern: fields.uint32())
        let beta2 = Float(bitPattern: fields.uint32()), epsilon = Float(bitPattern: fields.uint32())
        // beta = 1 divides by a zero bias correction (NaN weights); epsilon ≤ 0 can divide by zero.
        guard learningRate.isFinite, learningRate >= 0, (0..<1).contains(beta1), (0..<1).contains(beta2),
              epsilon.isFinite, epsilon > 0 else {
            throw InputError(path, "Adam settings out of range (lr \(learningRate), beta1 \(beta1), beta2 \(beta2), epsilon \(epsilon); betas must be in [0, 1), epsilon positive)")
        }
        var optimizer = Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon)
        guard step <= UInt64(Int.max) else { throw InputError(path, "step count \(step) is out of range") }
        optimizer.step = Int(step)
        let trainable = store.specs.filter(\.trainable)
        let count = Int(fields.uint32())
        guard count == trainable.count else {
            throw InputError(path, "holds the moments of \(count) tensors; this network trains \(trainable.count)")
        }
        for spec in trainable {
            let expected = tensorHeader(spec)
            var found = [UInt8](repeating: 0, count: expected.count)
            try found.withUnsafeMutableBytes { try reader.read(into: $0) }
            guard found == expected else {
                throw InputError(path, "expected the moments of '\(spec.name)' \(spec.shape) here, found \(describeHeader(found))")
            }
            for (block, label) in [(ParameterStore.Block.firstMoments, "first"), (.secondMoments, "second")] {
                try store.setFromPyTorchOrder(of: block, spec.name) { values in
                    try reader.read(into: UnsafeMutableRawBufferPointer(values))
                    for v in values where !v.isFinite || (block == .secondMoments && v < 0) {
                        throw InputError(path, "the \(label) moment of '\(spec.name)' holds \(v)")
                    }
                }
            }
        }
        try reader.finish()
        return optimizer
    }

    /// Decompressed size: the fixed header, each tensor's header and its two moments.
    static func payloadBytes(_ trainable: [ParameterSpec]) -> Int {
        trainable.reduce(8 + 8 + 16 + 4) { $0 + tensorHeader($1).count + 2 * $1.elements * MemoryLayout<Float>.size }
    }

    static func tensorHeader(_ spec: ParameterSpec) -> [UInt8] {
        var bytes = HeaderWriter()
        let name = Array(spec.name.utf8)
        bytes.append(UInt32(name.count))
        bytes.append(name)
        bytes.append(UInt32(spec.shape.count))
        for d in spec.shape { bytes.append(UInt64(d)) }
        return bytes.bytes
    }

    /// What a tensor header that did not match says, for the error (best effort: it may be garbage).
    static func describeHeader(_ bytes: [UInt8]) -> String {
        var reader = HeaderReader(bytes)
        let length = Int(reader.uint32())
        guard length <= bytes.count - 4 else { return "something else" }
        return "'\(String(decoding: reader.bytes(length), as: UTF8.self))'"
    }
}

/// Little-endian fields into a small byte array (headers only; tensors go straight to the compressor).
private struct HeaderWriter {
    var bytes: [UInt8] = []
    mutating func append(_ more: [UInt8]) { bytes += more }
    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
    mutating func flush(into compressor: ZstdStreamWriter) throws {
        try bytes.withUnsafeBytes { try compressor.write($0) }
        bytes.removeAll(keepingCapacity: true)
    }
}

/// Little-endian fields out of a small byte array; reading past the end yields zeros (callers check lengths).
private struct HeaderReader {
    let data: [UInt8]
    var position = 0
    init(_ data: [UInt8]) { self.data = data }

    mutating func bytes(_ count: Int) -> ArraySlice<UInt8> {
        let end = min(position + count, data.count)
        defer { position = end }
        return data[position..<end]
    }

    mutating func uint32() -> UInt32 { integer() }
    mutating func uint64() -> UInt64 { integer() }

    private mutating func integer<T: FixedWidthInteger>() -> T {
        var value: T = 0
        for (i, byte) in bytes(MemoryLayout<T>.size).enumerated() { value |= T(byte) << (8 * i) }
        return value
    }
}
