import Testing
@testable import PatchTrain

@Suite struct BLASCoreTypeTests {
    @Test func picksTheKernelFamilyFromCPUFlags() {
        #expect(BLASCoreType.detected(cpuFlags: ["avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"]) == "SkylakeX")
        #expect(BLASCoreType.detected(cpuFlags: ["avx2", "fma", "avx512f"]) == "Haswell")
        #expect(BLASCoreType.detected(cpuFlags: ["sse4_2"]) == nil)
    }
}
