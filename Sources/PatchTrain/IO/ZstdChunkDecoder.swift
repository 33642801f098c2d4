import CZstd

/// Decompresses zstd frames straight into caller-owned buffers with one reused context, so reading a chunk
/// allocates nothing: the context is the only memory besides the destination (`contextBytes` bounds it).
final class ZstdChunkDecoder {
    private let context: OpaquePointer

    /// Upper bound on a decompression context's bytes (`ZSTD_estimateDCtxSize`, about 95 KiB with libzstd 1.5,
    /// plus slack for other versions); one-shot decompression into a whole destination needs no window buffer.
    static let contextBytes = 256 << 10

    init() {
        context = ZSTD_createDCtx()!
    }

    deinit { ZSTD_freeDCtx(context) }

    /// The context's bytes as libzstd counts them.
    var measuredBytes: Int { ZSTD_sizeof_DCtx(context) }

    /// Decompresses the frame in `source` into `destination`, which must receive exactly `destination.count`
    /// bytes; returns nil on success, else why not (for the caller's message naming the chunk).
    func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> String? {
        let produced = ZSTD_decompressDCtx(context, destination.baseAddress, destination.count, source.baseAddress, source.count)
        if ZSTD_isError(produced) != 0 { return "corrupt zstd data (\(String(cString: ZSTD_getErrorName(produced))))" }
        if produced != destination.count { return "decompressed to \(produced) bytes, \(destination.count) expected" }
        return nil
    }
}
