import Foundation
@testable import PatchTrain

/// A pack taken apart into its pieces and put back together with consistent offsets and checksums, so tests
/// and the fuzzer can damage one piece (the directory, a table entry, a chunk) and reach the check behind the
/// checksums instead of stopping at them.
struct PackBytes {
    var chunkEdge: UInt32
    var directory: [UInt8]
    /// Offsets relative to the start of the data area.
    var entries: [PackChunkEntry]
    var data: [UInt8]

    init(_ bytes: [UInt8]) throws {
        let header = try bytes.withUnsafeBytes { try PackHeader(parsing: $0, file: "pack") }
        chunkEdge = header.chunkEdge
        let d = Int(header.directoryOffset), t = Int(header.tableOffset), n = Int(header.tableEntries)
        directory = Array(bytes[d..<(d + Int(header.directoryLength))])
        let dataStart = t + n * PackChunkEntry.size
        entries = bytes[t..<dataStart].withUnsafeBytes { raw in (0..<n).map { PackChunkEntry(raw, at: $0) } }
        for i in entries.indices { entries[i].offset &-= UInt64(dataStart) }
        data = Array(bytes[dataStart...])
    }

    /// The file, with every offset and checksum recomputed; `fixChunkCRCs` also re-checksums each chunk.
    func assembled(fixChunkCRCs: Bool = false) -> [UInt8] {
        let tableOffset = PackHeader.size + directory.count
        let dataStart = tableOffset + entries.count * PackChunkEntry.size
        var table: [UInt8] = []
        for var entry in entries {
            // A fuzzed entry may point anywhere: re-checksum only what lies in the data.
            if fixChunkCRCs, let start = Int(exactly: entry.offset), start <= data.count, Int(entry.length) <= data.count - start {
                entry.crc = CRC32.of(Array(data[start..<(start + Int(entry.length))]))
            }
            entry.offset &+= UInt64(dataStart)
            entry.append(to: &table)
        }
        let header = PackHeader(chunkEdge: chunkEdge, directoryOffset: UInt64(PackHeader.size), directoryLength: UInt64(directory.count),
                                tableOffset: UInt64(tableOffset), tableEntries: UInt64(entries.count),
                                directoryCRC: CRC32.of(directory), tableCRC: CRC32.of(table))
        return header.encoded() + directory + table + data
    }
}
