import CZlib

/// Writes a gzip file (one member, zlib's deflate) atomically, compressing as bytes arrive so that memory
/// stays at one bounded output buffer however large the file.
final class GzipFileWriter: ByteSink {
    let path: String
    private let file: AtomicFile
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutablePointer<UInt8>
    private static let outputSize = 1 << 18
    private var finished = false

    /// Level 1 by default: label maps and probabilities are written after every inference, and the higher
    /// levels cost several times the time for a few percent of size on such data.
    init(path: String, level: Int32 = 1) throws {
        self.path = path
        file = try AtomicFile(path: path)
        // zlib keeps a pointer back to its stream and checks it, so the stream must not move: heap, not a local.
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(capacity: GzipFileWriter.outputSize)
        // windowBits 15 + 16 asks for a gzip wrapper (header and CRC-32 trailer) instead of a zlib one.
        let status = deflateInit2_(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                                   zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            output.deallocate()
            file.abandon()
            finished = true
            throw RuntimeFailure("\(path): cannot start gzip compression (zlib status \(status))")
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var offset = 0
        // avail_in is 32-bit: feed very large buffers in pieces.
        while offset < bytes.count {
            let piece = min(bytes.count - offset, 1 << 30)
            stream.pointee.next_in = UnsafeMutablePointer(mutating: (base + offset).assumingMemoryBound(to: UInt8.self))
            stream.pointee.avail_in = UInt32(piece)
            try pump(flush: Z_NO_FLUSH)
            offset += piece
        }
    }

    /// Finishes the gzip stream and makes the file visible under its name.
    func commit() throws {
        precondition(!finished, "GzipFileWriter committed twice")
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try pump(flush: Z_FINISH)
        end()
        try file.commit()
    }

    func abandon() {
        end()
        file.abandon()
    }

    /// Runs deflate until it has taken all input (or, with Z_FINISH, written the trailer), writing out each
    /// full output buffer.
    private func pump(flush: Int32) throws {
        while true {
            stream.pointee.next_out = output
            stream.pointee.avail_out = UInt32(GzipFileWriter.outputSize)
            let status = deflate(stream, flush)
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                abandon()
                throw RuntimeFailure("\(path): gzip compression failed (zlib status \(status))")
            }
            let produced = GzipFileWriter.outputSize - Int(stream.pointee.avail_out)
            if produced > 0 {
                do {
                    try file.write(UnsafeRawBufferPointer(start: output, count: produced))
                } catch {
                    abandon()
                    throw error
                }
            }
            if flush == Z_FINISH {
                if status == Z_STREAM_END { return }
            } else if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 {
                return
            }
        }
    }

    private func end() {
        guard !finished else { return }
        finished = true
        deflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    deinit { abandon() }
}
