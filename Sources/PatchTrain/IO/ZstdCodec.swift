import CZstd

/// Whole-buffer zstd compression for the small derived files patchtrain keeps (the foreground indexes; a
/// checkpoint's optimizer state, which is large, streams through `ZstdStream` instead). Frames always record their decompressed size, so decompression allocates
/// exactly once and can refuse absurd sizes before allocating.
enum ZstdCodec {
    /// zstd's default level: fast, and plenty for sorted index deltas.
    static let defaultLevel: Int32 = 3

    // `ZSTD_CONTENTSIZE_UNKNOWN` / `_ERROR` are `(0ULL - 1)` / `(0ULL - 2)` macros Swift does not import.
    private static let contentSizeUnknown = UInt64.max
    private static let contentSizeError = UInt64.max - 1

    /// Compresses `bytes` into one zstd frame.
    static func compress(_ bytes: UnsafeRawBufferPointer, level: Int32 = defaultLevel) throws -> [UInt8] {
        let bound = ZSTD_compressBound(bytes.count)
        if ZSTD_isError(bound) != 0 {
            throw RuntimeFailure("zstd: cannot compress \(bytes.count) bytes (\(errorName(bound)))")
        }
        var failure: Int? = nil
        let out = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            let written = ZSTD_compress(buffer.baseAddress, bound, bytes.baseAddress, bytes.count, level)
            if ZSTD_isError(written) != 0 {
                failure = written
                count = 0
            } else {
                count = written
            }
        }
        if let failure {
            throw RuntimeFailure("zstd: compression failed (\(errorName(failure)))")
        }
        return out
    }

    static func compress(_ bytes: [UInt8], level: Int32 = defaultLevel) throws -> [UInt8] {
        try bytes.withUnsafeBytes { try compress($0, level: level) }
    }

    /// Decompresses one zstd frame. `source` names the file the bytes came from, for the error;
    /// frames claiming more than `maximumSize` bytes are refused as corrupt rather than allocated.
    static func decompress(_ bytes: UnsafeRawBufferPointer, source: String, maximumSize: Int = 1 << 32) throws -> [UInt8] {
        let declared = ZSTD_getFrameContentSize(bytes.baseAddress, bytes.count)
        if declared == contentSizeError {
            throw InputError(source, "not zstd-compressed data")
        }
        if declared == contentSizeUnknown {
            throw InputError(source, "zstd frame does not record its size")
        }
        guard declared <= UInt64(maximumSize) else {
            throw InputError(source, "zstd frame claims \(declared) bytes, more than the \(maximumSize) allowed")
        }
        let size = Int(declared)
        var failure: Int? = nil
        let out = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            let produced = ZSTD_decompress(buffer.baseAddress, size, bytes.baseAddress, bytes.count)
            if ZSTD_isError(produced) != 0 {
                failure = produced
                count = 0
            } else if produced != size {
                failure = -1
                count = 0
            } else {
                count = produced
            }
        }
        if let failure {
            let reason = failure == -1 ? "size differs from the frame header" : errorName(failure)
            throw InputError(source, "corrupt zstd data (\(reason))")
        }
        return out
    }

    static func decompress(_ bytes: [UInt8], source: String, maximumSize: Int = 1 << 32) throws -> [UInt8] {
        try bytes.withUnsafeBytes { try decompress($0, source: source, maximumSize: maximumSize) }
    }

    private static func errorName(_ code: Int) -> String {
        String(cString: ZSTD_getErrorName(code))
    }
}
