import Testing
@testable import PatchTrain

/// The sixteen-column products the Winograd passes use instead of OpenBLAS, against fp64 sums: row counts that
/// leave a tail after the blocks of four, and (transposed) more than one 64-row chunk with a partial last one.
@Suite struct SixteenColumnProductTests {
    @Test(arguments: [(1, 9), (7, 144), (13, 288)])
    func productMatchesFloat64Sums(m: Int, k: Int) {
        var r = TestRandom(seed: 81)
        let lda = k + 3
        let a = r.array(m * lda, -1, 1), b = r.array(k * 16, -1, 1)
        var c = [Float](repeating: .nan, count: m * 16)
        Matrix.multiplySixteenColumns(m: m, k: k, a: a, lda: lda, b: b, c: &c)
        let want = (0..<(m * 16)).map { at in
            (0..<k).reduce(0.0) { $0 + Double(a[(at / 16) * lda + $1]) * Double(b[$1 * 16 + at % 16]) }
        }
        // fp32 sums of at most 288 products of size ≤ 1.
        #expect(worstError(c, want, atol: 2e-5, rtol: 1e-5) <= 1)
    }

    @Test(arguments: [(3, 5), (144, 130), (9, 64)])
    func transposedProductAddsFloat64Sums(m: Int, k: Int) {
        var r = TestRandom(seed: 82)
        let a = r.array(k * m, -1, 1), b = r.array(k * 16, -1, 1), start = r.array(m * 16, -1, 1)
        var c = start
        Matrix.multiplyAddingTransposedSixteenColumns(m: m, k: k, a: a, b: b, c: &c)
        let want = (0..<(m * 16)).map { at in
            (0..<k).reduce(Double(start[at])) { $0 + Double(a[$1 * m + at / 16]) * Double(b[$1 * 16 + at % 16]) }
        }
        #expect(worstError(c, want, atol: 2e-5, rtol: 1e-5) <= 1)
    }
}
