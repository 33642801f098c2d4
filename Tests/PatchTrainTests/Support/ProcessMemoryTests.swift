import Testing
@testable import PatchTrain

@Suite struct ProcessMemoryTests {
    @Test func residentMemoryGrowsWhenPagesAreTouched() {
        let before = ProcessMemory.residentBytes
        #expect(before > 1 << 20, "a running test process holds more than 1 MiB")
        let bytes = 64 << 20
        let block = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 4096)
        defer { block.deallocate() }
        for offset in stride(from: 0, to: bytes, by: 4096) { block.storeBytes(of: 1, toByteOffset: offset, as: UInt8.self) }
        let after = ProcessMemory.residentBytes
        #expect(after - before > bytes / 2)
        #expect(ProcessMemory.peakResidentBytes >= after)
    }
}
