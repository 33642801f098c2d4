/// The first 64 bytes of a pack (docs/formats.md, "Packs"): where the directory and the chunk table lie, and
/// checksums over both and over the header itself. Little-endian throughout.
struct PackHeader: Equatable {
    static let magic: [UInt8] = Array("PTPACK\r\n".utf8)
    static let version: UInt32 = 1
    static let size = 64

    var chunkEdge: UInt32
    var directoryOffset: UInt64
    var directoryLength: UInt64
    var tableOffset: UInt64
    var tableEntries: UInt64
    var directoryCRC: UInt32
    var tableCRC: UInt32

    func encoded() -> [UInt8] {
        var out = PackHeader.magic
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        put(PackHeader.version)
        put(chunkEdge)
        put(directoryOffset)
        put(directoryLength)
        put(tableOffset)
        put(tableEntries)
        put(directoryCRC)
        put(tableCRC)
        put(CRC32.of(out))
        put(UInt32(0))
        return out
    }

    /// Parses and checks the header; a file that is not a pack, another version, or a damaged header is an
    /// `InputError` naming `file`.
    init(parsing bytes: UnsafeRawBufferPointer, file: String) throws {
        guard bytes.count >= PackHeader.size else {
            throw InputError(file, "truncated: \(bytes.count) bytes, a pack's header alone is \(PackHeader.size)")
        }
        guard Array(bytes[0..<8]) == PackHeader.magic else { throw InputError(file, "not a patchtrain pack (no PTPACK signature)") }
        func get<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T { T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        let version = get(8, UInt32.self)
        guard version == PackHeader.version else { throw InputError(file, "pack version \(version); this patchtrain reads version \(PackHeader.version)") }
        guard get(56, UInt32.self) == CRC32.of(UnsafeRawBufferPointer(rebasing: bytes[0..<56])) else {
            throw InputError(file, "the pack's header checksum does not match: the header is damaged")
        }
        chunkEdge = get(12, UInt32.self)
        directoryOffset = get(16, UInt64.self)
        directoryLength = get(24, UInt64.self)
        tableOffset = get(32, UInt64.self)
        tableEntries = get(40, UInt64.self)
        directoryCRC = get(48, UInt32.self)
        tableCRC = get(52, UInt32.self)
    }

    init(chunkEdge: UInt32, directoryOffset: UInt64, directoryLength: UInt64, tableOffset: UInt64, tableEntries: UInt64,
         directoryCRC: UInt32, tableCRC: UInt32) {
        self.chunkEdge = chunkEdge
        self.directoryOffset = directoryOffset
        self.directoryLength = directoryLength
        self.tableOffset = tableOffset
        self.tableEntries = tableEntries
        self.directoryCRC = directoryCRC
        self.tableCRC = tableCRC
    }
}

/// One entry of the chunk table: where a compressed chunk lies and the CRC-32 of its compressed bytes.
struct PackChunkEntry: Equatable {
    static let size = 16
    var offset: UInt64
    var length: UInt32
    var crc: UInt32

    func append(to out: inout [UInt8]) {
        withUnsafeBytes(of: offset.littleEndian) { out += $0 }
        withUnsafeBytes(of: length.littleEndian) { out += $0 }
        withUnsafeBytes(of: crc.littleEndian) { out += $0 }
    }

    init(offset: UInt64, length: UInt32, crc: UInt32) {
        self.offset = offset
        self.length = length
        self.crc = crc
    }

    init(_ bytes: UnsafeRawBufferPointer, at index: Int) {
        let base = index * PackChunkEntry.size
        offset = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: base, as: UInt64.self))
        length = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: base + 8, as: UInt32.self))
        crc = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: base + 12, as: UInt32.self))
    }
}
