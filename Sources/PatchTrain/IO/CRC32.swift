import CZlib

/// CRC-32 (zlib's, the one `gzip` and PNG use) of a byte range: the per-chunk checksum of a pack.
enum CRC32 {
    static func of(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = crc32(0, nil, 0)
        var p = bytes.baseAddress?.assumingMemoryBound(to: Bytef.self)
        var left = bytes.count
        // zlib takes 32-bit lengths.
        while left > 0, let start = p {
            let n = min(left, 1 << 30)
            crc = crc32(crc, start, uInt(n))
            p = start + n
            left -= n
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    static func of(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { of($0) } }
}
