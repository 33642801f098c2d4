import Foundation

/// Decompressed chunks of a pack kept for reuse, in a fixed number of equal slots (least recently used goes
/// first), with the one zstd context that fills them. The sampler reads a patch one x-slab at a time, so each
/// chunk serves up to `edge` consecutive slabs from here instead of being decompressed again.
///
/// The slots are allocated once, on first use, and never grow: `bytes` is what the memory plan counts. One lock
/// covers lookup, decompression and the caller's copy, so the training sampler and the validator may share a
/// cache; correctness never depends on the capacity (a read needs one chunk at a time), only speed does.
final class PackChunkCache: @unchecked Sendable {
    let slotBytes: Int
    let slotCount: Int
    private let lock = NSLock()
    private var storage: UnsafeMutableRawPointer?
    private var decoder: ZstdChunkDecoder?
    private var entryInSlot: [Int]
    private var lastUse: [UInt64]
    private var slotOfEntry: [Int: Int] = [:]
    private var clock: UInt64 = 0

    /// Why a chunk could not be read, for the volume's message naming the case and the chunk.
    struct Problem: Error {
        let reason: String
    }

    init(slotBytes: Int, slotCount: Int) {
        precondition(slotBytes > 0 && slotCount > 0, "an empty chunk cache")
        self.slotBytes = slotBytes
        self.slotCount = slotCount
        entryInSlot = [Int](repeating: -1, count: slotCount)
        lastUse = [UInt64](repeating: 0, count: slotCount)
    }

    deinit { storage?.deallocate() }

    /// The bytes this cache holds once used: its slots and its decompression context.
    var bytes: Int { slotBytes * slotCount + ZstdChunkDecoder.contextBytes }

    /// Calls `body` with the decompressed bytes of table entry `entry` (`count` bytes), decompressing
    /// `compressed` into a slot first unless it is already there. The CRC-32 of `compressed` must be `crc`.
    func withChunk<T>(entry: Int, compressed: UnsafeRawBufferPointer, crc: UInt32, count: Int,
                      _ body: (UnsafeRawPointer) -> T) throws -> T {
        precondition(count <= slotBytes, "chunk of \(count) bytes in slots of \(slotBytes)")
        lock.lock()
        defer { lock.unlock() }
        clock += 1
        if let slot = slotOfEntry[entry] {
            lastUse[slot] = clock
            return body(UnsafeRawPointer(slotAddress(slot)))
        }
        var victim = 0
        for s in 1..<slotCount where lastUse[s] < lastUse[victim] { victim = s }
        if entryInSlot[victim] >= 0 { slotOfEntry[entryInSlot[victim]] = nil }
        entryInSlot[victim] = -1
        guard CRC32.of(compressed) == crc else { throw Problem(reason: "checksum mismatch (the chunk's bytes are damaged)") }
        let decoder = self.decoder ?? ZstdChunkDecoder()
        self.decoder = decoder
        let address = slotAddress(victim)
        if let failure = decoder.decompress(compressed, into: UnsafeMutableRawBufferPointer(start: address, count: count)) {
            throw Problem(reason: failure)
        }
        entryInSlot[victim] = entry
        slotOfEntry[entry] = victim
        lastUse[victim] = clock
        return body(UnsafeRawPointer(address))
    }

    private func slotAddress(_ slot: Int) -> UnsafeMutableRawPointer {
        if storage == nil {
            let all = UnsafeMutableRawPointer.allocate(byteCount: slotBytes * slotCount, alignment: 64)
            all.initializeMemory(as: UInt8.self, repeating: 0, count: slotBytes * slotCount)
            storage = all
        }
        return storage! + slot * slotBytes
    }
}
