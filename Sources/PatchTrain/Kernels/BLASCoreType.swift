import Foundation

/// OpenBLAS chooses its GEMM kernels once, when the library loads, from CPUID. On virtual CPUs whose model it does
/// not recognise ("Intel Xeon Processor" under some hypervisors) it falls back to its `Prescott` (SSE3) kernels:
/// measured on such a machine, sgemm 2048² ran at ~57 GFLOP/s instead of ~225 (SkylakeX kernels) on 2 threads.
/// OpenBLAS honours `OPENBLAS_CORETYPE`, but only if it is in the environment before the library loads, so an
/// executable calls `reexecuteWithDetectedCoreTypeIfNeeded()` first thing: it picks the core type from the CPU's
/// feature flags and re-executes the process once with the variable set. A user's own setting always wins.
public enum BLASCoreType {
    /// `SkylakeX` with AVX-512 (F, BW, DQ, VL), `Haswell` with AVX2 + FMA, else nil (let OpenBLAS decide).
    public static func detected(cpuFlags: Set<Substring>? = nil) -> String? {
        let flags = cpuFlags ?? currentCPUFlags()
        if ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// Whether the core type OpenBLAS runs with has small-matrix kernels, which multiply GEMMs of at most 100³
    /// multiply-adds reading the operands in place: its SkylakeX family does (0.3.16 and later). Its Haswell and Zen
    /// kernels pack both operands at every call instead; measured on an AMD EPYC (Zen 3, one thread), a
    /// `[81 × 48]·[48 × 144]` GEMM ran at 40% of the core's sgemm 2048² rate, a `[3564 × 144]·[144 × 48]` one at 79%.
    /// The convolution plan tiles by it (`ConvolutionPlan.unpackedSmallGemms`).
    public static let runsSmallGemmsUnpacked: Bool = {
        let core = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? detected()
        return ["skylakex", "cooperlake", "sapphirerapids"].contains(core?.lowercased() ?? "")
    }()

    public static func reexecuteWithDetectedCoreTypeIfNeeded() {
        #if os(Linux)
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil, let core = detected() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv returns only on failure: carry on with OpenBLAS's own choice.
        #endif
    }

    private static func currentCPUFlags() -> Set<Substring> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " "))
    }
}
