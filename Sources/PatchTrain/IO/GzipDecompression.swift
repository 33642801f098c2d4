#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib

/// Decompresses a gzip file into a `ByteSink` through two fixed buffers, so memory stays bounded whatever
/// the file's size. Concatenated gzip members (as `cat a.gz b.gz` makes) are decompressed one after another,
/// as gzip itself does.
enum GzipDecompression {
    static let inputSize = 1 << 18
    static let outputSize = 1 << 20

    /// Decompresses `source` into `sink` (without committing it). A damaged or cut-short file is bad input
    /// and is reported against `source`.
    static func decompress(_ source: String, into sink: ByteSink) throws {
        let fd = try RegularFile.open(source).descriptor
        defer { close(fd) }
        // zlib keeps a pointer back to its stream and checks it, so the stream must not move: heap, not a local.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let input = UnsafeMutablePointer<UInt8>.allocate(capacity: inputSize)
        let output = UnsafeMutablePointer<UInt8>.allocate(capacity: outputSize)
        defer {
            stream.deallocate()
            input.deallocate()
            output.deallocate()
        }
        // windowBits 15 + 32: accept a gzip (or zlib) wrapper, detected from the first bytes.
        let status = inflateInit2_(stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw RuntimeFailure("\(source): cannot start gzip decompression (zlib status \(status))") }
        defer { inflateEnd(stream) }

        var atMemberEnd = false   // the last inflate call finished a member
        var sawData = false
        var outputFull = false    // the last inflate call filled the output buffer, so zlib may hold more
        while true {
            if stream.pointee.avail_in == 0 && (!outputFull || atMemberEnd) {
                let n = readSome(fd, into: input, count: inputSize)
                if n < 0 { throw InputError(source, "read failed (\(String(cString: strerror(errno))))") }
                if n == 0 {
                    if atMemberEnd { return }
                    throw InputError(source, sawData ? "truncated gzip data (the file ends inside the compressed stream)" : "empty gzip file")
                }
                sawData = true
                stream.pointee.next_in = input
                stream.pointee.avail_in = UInt32(n)
            }
            if atMemberEnd {
                // More bytes after a complete member: another member follows.
                inflateReset(stream)
                atMemberEnd = false
            }
            stream.pointee.next_out = output
            stream.pointee.avail_out = UInt32(outputSize)
            let result = inflate(stream, Z_NO_FLUSH)
            switch result {
            case Z_OK, Z_BUF_ERROR:
                break
            case Z_STREAM_END:
                atMemberEnd = true
            default:
                let detail = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(result)"
                throw InputError(source, "corrupt gzip data (\(detail))")
            }
            let produced = outputSize - Int(stream.pointee.avail_out)
            outputFull = stream.pointee.avail_out == 0
            if produced > 0 { try sink.write(UnsafeRawBufferPointer(start: output, count: produced)) }
        }
    }

    private static func readSome(_ fd: Int32, into buffer: UnsafeMutablePointer<UInt8>, count: Int) -> Int {
        while true {
            let n = read(fd, buffer, count)
            if n < 0 && errno == EINTR { continue }
            return n
        }
    }
}
