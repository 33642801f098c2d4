/// The on-disk form of a `ForegroundIndex` (before zstd compression), little-endian:
///
///     "PTFGIDX1"                              8 bytes
///     x, y, z, classCount, maximumPerClass    UInt32 each
///     per class 1..<classCount:
///       voxelCount UInt64, kept n UInt32, n UInt32 gaps (first location, then differences)
///     FNV-1a 64 of all bytes before it        UInt64
///
/// Gaps rather than locations because sorted locations differ by small numbers, which zstd compresses well.
/// Every field is checked on decoding, so a damaged file is reported, never trusted.
extension ForegroundIndex {
    static let magic = Array("PTFGIDX1".utf8)

    /// The uncompressed bytes described above.
    public func encoded() -> [UInt8] {
        var out = ByteWriter()
        out.bytes.reserveCapacity(48 + locations.reduce(0) { $0 + 12 + 4 * $1.count })
        out.bytes += ForegroundIndex.magic
        for value in [extent.x, extent.y, extent.z, classCount, maximumPerClass] { out.u32(UInt32(value)) }
        for (count, list) in zip(voxelCounts, locations) {
            out.u64(UInt64(count))
            out.u32(UInt32(list.count))
            var previous: UInt32 = 0
            for location in list {
                out.u32(location &- previous)
                previous = location
            }
        }
        out.u64(fnv1a(out.bytes[...]))
        return out.bytes
    }

    /// Decodes and checks bytes made by `encoded()`; `source` names the file in errors.
    public init(decoding bytes: [UInt8], source: String) throws {
        func corrupt(_ why: String) -> InputError { InputError(source, "corrupt foreground index (\(why))") }
        guard bytes.count >= ForegroundIndex.magic.count + 20 + 8 else { throw corrupt("too short") }
        guard Array(bytes[0..<8]) == ForegroundIndex.magic else { throw corrupt("wrong magic bytes") }
        let body = bytes[0..<(bytes.count - 8)]
        var trailer = ByteReader(bytes: bytes[(bytes.count - 8)...], source: source)
        guard try trailer.u64() == fnv1a(body) else { throw corrupt("checksum mismatch") }

        var reader = ByteReader(bytes: body, source: source)
        reader.position = 8
        let extent = Extent3(Int(try reader.u32()), Int(try reader.u32()), Int(try reader.u32()))
        let classCount = Int(try reader.u32())
        let cap = Int(try reader.u32())
        guard classCount >= 1, classCount <= 256, cap >= 2 else { throw corrupt("bad class count or cap") }
        let voxels = extent.volume
        var counts: [Int] = []
        var lists: [[UInt32]] = []
        for k in 1..<classCount {
            let count = Int(try reader.u64())
            let n = Int(try reader.u32())
            guard n <= cap, n <= count, count <= voxels, n > 0 || count == 0 else { throw corrupt("bad sizes for class \(k)") }
            var list = [UInt32]()
            list.reserveCapacity(n)
            var location: UInt32 = 0
            for i in 0..<n {
                let gap = try reader.u32()
                guard i == 0 || gap > 0 else { throw corrupt("class \(k) locations not ascending") }
                let (sum, overflow) = location.addingReportingOverflow(gap)
                guard !overflow, Int(sum) < voxels else { throw corrupt("class \(k) location outside the volume") }
                location = sum
                list.append(location)
            }
            counts.append(count)
            lists.append(list)
        }
        guard reader.position == body.endIndex else { throw corrupt("trailing bytes") }
        self.init(extent: extent, classCount: classCount, maximumPerClass: cap, voxelCounts: counts, locations: lists)
    }
}

private func fnv1a(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
    return hash
}

private struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
}

private struct ByteReader {
    let bytes: ArraySlice<UInt8>
    let source: String
    var position: Int

    init(bytes: ArraySlice<UInt8>, source: String) {
        self.bytes = bytes
        self.source = source
        self.position = bytes.startIndex
    }

    mutating func u32() throws -> UInt32 { UInt32(truncatingIfNeeded: try little(4)) }
    mutating func u64() throws -> UInt64 { try little(8) }

    private mutating func little(_ n: Int) throws -> UInt64 {
        guard position + n <= bytes.endIndex else { throw InputError(source, "corrupt foreground index (truncated)") }
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += n
        return v
    }
}
