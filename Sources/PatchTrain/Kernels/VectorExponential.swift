/// e^x sixteen lanes at a time, for the softmax: the libm call per element was most of the loss's time.
///
/// Cody–Waite range reduction `x = n·ln 2 + r` (ln 2 split in two so that `n·ln 2` is exact for the n that occur),
/// then the degree-6 minimax polynomial of Cephes' `expf` for e^r on |r| ≤ ln 2 / 2, then the exponent bits of 2ⁿ;
/// relative error within 2 ulp of fp32. Inputs are clamped to [−87.3, 88.3], where 2ⁿ stays a normal float
/// (e^−87.3 ≈ 1.2·10⁻³⁸ stands for anything smaller), and a NaN stays NaN so that a diverged step is still seen.
enum VectorExponential {
    @inline(__always)
    static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        var v = x.replacing(with: -87.3, where: x .< -87.3)
        v = v.replacing(with: 88.3, where: v .> 88.3)
        // Adding 1.5·2²³ rounds v·log₂e to an integer n, which then sits in the low bits of the sum's pattern.
        let magic: Float = 12_582_912
        let shifted = v * 1.442_695_04 + magic
        let n = shifted - magic
        let r = v - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = 1.987_569_15e-4 * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * r * r + r + 1
        let bits = unsafeBitCast(shifted, to: SIMD16<UInt32>.self)
        let exponent = (bits &- SIMD16(repeating: magic.bitPattern) &+ SIMD16(repeating: 127)) &<< SIMD16(repeating: 23)
        let result = p * unsafeBitCast(exponent, to: SIMD16<Float>.self)
        return result.replacing(with: x, where: .!(x .== x))
    }

    /// `values[i] = e^values[i]` for `i < count`.
    static func exponentiate(_ values: UnsafeMutablePointer<Float>, count: Int) {
        let raw = UnsafeMutableRawPointer(values)
        var i = 0
        while i + 16 <= count {
            let x = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            raw.storeBytes(of: exp(x), toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        if i < count {
            var tail = SIMD16<Float>(repeating: 0)
            for k in i..<count { tail[k - i] = values[k] }
            let e = exp(tail)
            for k in i..<count { values[k] = e[k - i] }
        }
    }
}
