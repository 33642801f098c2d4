/// Products with sixteen columns without OpenBLAS, for the Winograd passes that produce sixteen channels (the forward
/// and weight gradient of a layer with 16 outputs, the input gradient of one with 16 inputs).
///
/// OpenBLAS's Haswell/Zen path packs A at every call, and with sixteen columns each packed element then serves only
/// sixteen multiply-adds. Reading A in place, four rows at a time against B's rows (sixteen lanes, in L1), measured
/// 1.4–2× faster on one Zen 3 core (`[1760 × 144]·[144 × 16]`: 75–79 against 35–54 GFLOP/s; `[880 × 288]·[288 × 16]`
/// 90 against 56). Every row of C is the same chain of fused multiply-adds over k, in order, whether it falls in a
/// block of four or in the tail, so a row's result does not depend on `m`.
extension Matrix {
    /// `C[m×16] = A[m×k] · B[k×16]`, A's rows `lda` apart.
    static func multiplySixteenColumns(m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                                       c: UnsafeMutablePointer<Float>) {
        let columns = UnsafeRawPointer(b), out = UnsafeMutableRawPointer(c)
        func column(_ p: Int) -> SIMD16<Float> { columns.loadUnaligned(fromByteOffset: 64 &* p, as: SIMD16<Float>.self) }
        func put(_ row: SIMD16<Float>, _ i: Int) { out.storeBytes(of: row, toByteOffset: 64 &* i, as: SIMD16<Float>.self) }
        var i = 0
        while i &+ 4 <= m {
            let a0 = a + i &* lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda
            var c0 = SIMD16<Float>.zero, c1 = c0, c2 = c0, c3 = c0
            for p in 0..<k {
                let row = column(p)
                c0 = c0.addingProduct(a0[p], row)
                c1 = c1.addingProduct(a1[p], row)
                c2 = c2.addingProduct(a2[p], row)
                c3 = c3.addingProduct(a3[p], row)
            }
            put(c0, i)
            put(c1, i &+ 1)
            put(c2, i &+ 2)
            put(c3, i &+ 3)
            i &+= 4
        }
        while i < m {
            let a0 = a + i &* lda
            var c0 = SIMD16<Float>.zero
            for p in 0..<k { c0 = c0.addingProduct(a0[p], column(p)) }
            put(c0, i)
            i &+= 1
        }
    }

    /// `C[m×16] += A[k×m]ᵀ · B[k×16]` (A and B row-major, rows `m` and 16 floats long): the weight gradient's sums
    /// over voxels. Four rows of C at a time, each a sixteen-lane accumulator, over chunks of 64 of A's rows that
    /// stay in L2 while every block of C passes over them (measured on one Zen 3 core, `[880 × 144]ᵀ·[880 × 16]`:
    /// 79 against OpenBLAS's 60 GFLOP/s; the whole of A per block instead of chunks, 54).
    static func multiplyAddingTransposedSixteenColumns(m: Int, k: Int, a: UnsafePointer<Float>,
                                                        b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        let gradients = UnsafeRawPointer(b), sums = UnsafeMutableRawPointer(c)
        func gradient(_ q: Int) -> SIMD16<Float> {
            gradients.loadUnaligned(fromByteOffset: 64 &* q, as: SIMD16<Float>.self)
        }
        func sum(_ j: Int) -> SIMD16<Float> { sums.loadUnaligned(fromByteOffset: 64 &* j, as: SIMD16<Float>.self) }
        func put(_ row: SIMD16<Float>, _ j: Int) { sums.storeBytes(of: row, toByteOffset: 64 &* j, as: SIMD16<Float>.self) }
        var first = 0
        while first < k {
            let end = min(k, first &+ 64)
            var j = 0
            while j &+ 4 <= m {
                var c0 = sum(j), c1 = sum(j &+ 1), c2 = sum(j &+ 2), c3 = sum(j &+ 3)
                var row = a + (first &* m &+ j)
                for q in first..<end {
                    let g = gradient(q)
                    c0 = c0.addingProduct(row[0], g)
                    c1 = c1.addingProduct(row[1], g)
                    c2 = c2.addingProduct(row[2], g)
                    c3 = c3.addingProduct(row[3], g)
                    row += m
                }
                put(c0, j)
                put(c1, j &+ 1)
                put(c2, j &+ 2)
                put(c3, j &+ 3)
                j &+= 4
            }
            while j < m {
                var c0 = sum(j)
                for q in first..<end { c0 = c0.addingProduct(a[q &* m &+ j], gradient(q)) }
                put(c0, j)
                j &+= 1
            }
            first = end
        }
    }
}
