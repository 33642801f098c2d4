#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZstd

/// Streaming zstd inside memory the caller owns: the contexts are made with `ZSTD_initStaticCCtx`/`DCtx` in a
/// fixed workspace, and compressed bytes pass through a fixed buffer, so compressing or decompressing a file of
/// any size allocates nothing. That is what lets a checkpoint's optimizer state (twice the weights) be written
/// and read inside the memory plan: `workspaceBytes` is counted there.
///
/// Parameters are fixed rather than taken from a level so the workspace size is known up front: level 1's fast
/// strategy with a 128 KiB window. Adam's moments are fp32 noise to a compressor (they shrink by the exponent
/// bytes' redundancy, a few percent to a third), so a larger window or a slower strategy would buy nothing.
enum ZstdStreaming {
    static let windowLog: UInt32 = 17

    static var parameters: ZSTD_compressionParameters {
        var p = ZSTD_getCParams(1, 0, 0)
        p.windowLog = windowLog
        p.chainLog = min(p.chainLog, windowLog)
        p.hashLog = min(p.hashLog, windowLog)
        return p
    }

    /// Bytes of the workspace either context needs (the larger of the two; a checkpoint never runs both at once).
    static var workspaceBytes: Int {
        max(ZSTD_estimateCStreamSize_usingCParams(parameters), ZSTD_estimateDStreamSize(1 << Int(windowLog)))
    }

    static func check(_ code: Int, _ what: String) throws {
        if ZSTD_isError(code) != 0 { throw RuntimeFailure("zstd: \(what) failed (\(errorName(code)))") }
    }

    static func errorName(_ code: Int) -> String { String(cString: ZSTD_getErrorName(code)) }
}

/// Compresses a stream of known total size into one zstd frame (content size and checksum recorded), handing
/// each compressed piece to `emit` as the output buffer fills.
final class ZstdStreamWriter {
    private let context: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer
    private let emit: (UnsafeRawBufferPointer) throws -> Void
    private let pledged: Int
    private var consumed = 0

    /// `workspace` must hold `ZstdStreaming.workspaceBytes`; `output` is any non-empty buffer (larger is fewer writes).
    init(workspace: UnsafeMutableRawBufferPointer, output: UnsafeMutableRawBufferPointer, totalBytes: Int,
                emit: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(workspace.count >= ZstdStreaming.workspaceBytes && output.count > 0, "zstd buffers too small")
        guard let context = ZSTD_initStaticCCtx(workspace.baseAddress, workspace.count) else {
            throw RuntimeFailure("zstd: cannot make a compression context in \(workspace.count) bytes")
        }
        self.context = context
        self.output = output
        self.emit = emit
        pledged = totalBytes
        let p = ZstdStreaming.parameters
        let settings: [(ZSTD_cParameter, Int32)] = [
            (ZSTD_c_windowLog, Int32(p.windowLog)), (ZSTD_c_chainLog, Int32(p.chainLog)), (ZSTD_c_hashLog, Int32(p.hashLog)),
            (ZSTD_c_searchLog, Int32(p.searchLog)), (ZSTD_c_minMatch, Int32(p.minMatch)),
            (ZSTD_c_targetLength, Int32(p.targetLength)), (ZSTD_c_strategy, Int32(p.strategy.rawValue)),
            (ZSTD_c_checksumFlag, 1), (ZSTD_c_contentSizeFlag, 1),
        ]
        for (parameter, value) in settings {
            try ZstdStreaming.check(ZSTD_CCtx_setParameter(context, parameter, value), "setting parameter \(parameter.rawValue)")
        }
        try ZstdStreaming.check(ZSTD_CCtx_setPledgedSrcSize(context, UInt64(totalBytes)), "pledging the size")
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        consumed += bytes.count
        precondition(consumed <= pledged, "zstd stream: more bytes than pledged")
        var input = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
        while input.pos < input.size {
            try step(&input, ZSTD_e_continue)
        }
    }

    /// Ends the frame: everything left in the context is compressed and emitted.
    func finish() throws {
        precondition(consumed == pledged, "zstd stream: \(consumed) bytes of \(pledged) pledged")
        var input = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try step(&input, ZSTD_e_end) != 0 {}
    }

    /// One call to the compressor; emits whatever it produced. Returns zstd's "bytes still to flush" hint.
    @discardableResult
    private func step(_ input: inout ZSTD_inBuffer, _ mode: ZSTD_EndDirective) throws -> Int {
        var out = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let left = ZSTD_compressStream2(context, &out, &input, mode)
        try ZstdStreaming.check(left, "compression")
        if out.pos > 0 { try emit(UnsafeRawBufferPointer(start: output.baseAddress, count: out.pos)) }
        return left
    }
}

/// Decompresses one zstd frame from a file through a fixed input buffer, into exactly the pieces the caller asks
/// for. Damage is reported against the file: not zstd, corrupt (the frame checksum is checked at the end), cut
/// short, or longer than the caller expected.
final class ZstdStreamReader {
    let path: String
    private let context: OpaquePointer
    private let buffer: UnsafeMutableRawBufferPointer
    private var input: ZSTD_inBuffer
    private var fd: Int32
    private var atEndOfFile = false
    /// zstd's hint: 0 once the frame (checksum included) is complete.
    private var remainingHint = 1

    /// Opens `path`; `workspace` must hold `ZstdStreaming.workspaceBytes`, `input` is the read buffer.
    init(path: String, workspace: UnsafeMutableRawBufferPointer, input: UnsafeMutableRawBufferPointer) throws {
        precondition(workspace.count >= ZstdStreaming.workspaceBytes && input.count > 0, "zstd buffers too small")
        self.path = path
        fd = try RegularFile.open(path, missing: "missing").descriptor
        guard let context = ZSTD_initStaticDCtx(workspace.baseAddress, workspace.count) else {
            close(fd)
            throw RuntimeFailure("zstd: cannot make a decompression context in \(workspace.count) bytes")
        }
        self.context = context
        buffer = input
        self.input = ZSTD_inBuffer(src: input.baseAddress, size: 0, pos: 0)
        // A frame whose window is larger than ours was not written by patchtrain; refuse it rather than allocate.
        let status = ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, Int32(ZstdStreaming.windowLog))
        if ZSTD_isError(status) != 0 {
            close(fd)
            throw RuntimeFailure("zstd: cannot limit the window (\(ZstdStreaming.errorName(status)))")
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Fills `destination` completely with the next decompressed bytes.
    func read(into destination: UnsafeMutableRawBufferPointer) throws {
        var out = ZSTD_outBuffer(dst: destination.baseAddress, size: destination.count, pos: 0)
        while out.pos < out.size {
            if remainingHint == 0 {
                throw InputError(path, "truncated: the data ends \(destination.count - out.pos) bytes short of what the header promises")
            }
            try refillIfEmpty()
            try requireProgress(try decompress(&out))
        }
    }

    /// Decompresses the whole frame, overwriting `buffer` again and again, then `finish()`es: a pass that checks
    /// the file's integrity (its checksum covers every byte) before anything it holds is used. Returns the size.
    @discardableResult
    func verifyToEnd(using buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var total = 0
        while remainingHint != 0 {
            var out = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
            while out.pos < out.size && remainingHint != 0 {
                try refillIfEmpty()
                try requireProgress(try decompress(&out))
            }
            total += out.pos
        }
        try finish()
        return total
    }

    /// Checks that the frame ends here: its checksum verified and nothing after it.
    func finish() throws {
        var spare: UInt64 = 0
        try withUnsafeMutableBytes(of: &spare) { spare in
            var out = ZSTD_outBuffer(dst: spare.baseAddress, size: spare.count, pos: 0)
            while remainingHint != 0 {
                try refillIfEmpty()
                let progressed = try decompress(&out)
                if out.pos > 0 { throw InputError(path, "holds more data than expected") }
                try requireProgress(progressed)
            }
        }
        try refillIfEmpty()
        if input.pos < input.size { throw InputError(path, "trailing bytes after the compressed data") }
    }

    /// A call that neither consumed nor produced a byte means the frame needs input the file does not have.
    private func requireProgress(_ progressed: Bool) throws {
        guard !progressed else { return }
        if atEndOfFile { throw InputError(path, "truncated: the compressed data ends in the middle of a frame") }
        if input.pos < input.size { throw InputError(path, "corrupt zstd data (the decoder stopped making progress)") }
    }

    /// One call to the decompressor; whether it consumed or produced anything.
    private func decompress(_ out: inout ZSTD_outBuffer) throws -> Bool {
        let before = (input.pos, out.pos)
        let hint = ZSTD_decompressStream(context, &out, &input)
        if ZSTD_isError(hint) != 0 {
            let name = ZstdStreaming.errorName(hint)
            throw InputError(path, name.lowercased().contains("unknown frame") ? "not zstd-compressed data" : "corrupt zstd data (\(name))")
        }
        remainingHint = hint
        return before != (input.pos, out.pos)
    }

    /// Reads the next piece of the file once the input buffer is used up (nothing at the end of the file: the
    /// decompressor may still hold output, so running out of input is judged by the caller).
    private func refillIfEmpty() throws {
        guard input.pos == input.size, !atEndOfFile else { return }
        var count = 0
        repeat {
            count = SystemCall.read(fd, buffer.baseAddress!, buffer.count)
        } while count < 0 && errno == EINTR
        if count < 0 { throw InputError(path, "cannot read (\(String(cString: strerror(errno))))") }
        input = ZSTD_inBuffer(src: buffer.baseAddress, size: count, pos: 0)
        if count == 0 { atEndOfFile = true }
    }
}
