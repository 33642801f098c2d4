import Testing
import PatchTrain

@Suite struct ProcessMemoryTests {
    #if os(Linux)
    @Test func residentSizesAreReadFromProc() {
        let current = ProcessMemory.residentBytes
        let peak = ProcessMemory.peakResidentBytes
        #expect(current > 1 << 20)
        #expect(peak >= current)
    }
    #endif
}
