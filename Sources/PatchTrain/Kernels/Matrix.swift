import CBLAS

/// The one door to OpenBLAS: row-major single-precision GEMM, `C = alpha · op(A) · op(B) + beta · C`.
public enum Matrix {
    /// OpenBLAS's thread count. The executor sets it once (patchtrain's default is 2: one per physical core on the
    /// machines it targets); OpenBLAS keeps per-thread buffers, which the process baseline measures.
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }

    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Runs `body` with OpenBLAS at `count` threads, then restores the previous count. For kernels that parallelise
    /// over tiles themselves; kernels are called one at a time by the executor, so the global setting is theirs.
    public static func withThreads<R>(_ count: Int, _ body: () throws -> R) rethrows -> R {
        let previous = threads
        if previous != count { setThreads(count) }
        defer { if previous != count { setThreads(previous) } }
        return try body()
    }

    /// `C[m×n] = alpha · op(A) · op(B) + beta · C`, op(A) is m×k and op(B) is k×n; leading dimensions are row strides.
    @inlinable
    public static func multiply(m: Int, n: Int, k: Int,
                                a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
                                b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
                                c: UnsafeMutablePointer<Float>, ldc: Int,
                                alpha: Float = 1, beta: Float = 0) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
