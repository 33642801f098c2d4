/// Per-channel loops over channel-last fp32 tiles (`rows` rows of `channels` values), sixteen channels per vector
/// when the count allows: the bias of a layer added to its output tile, and summed for its gradient. Written as
/// scalar loops through pointers the compiler cannot prove apart, these ran one element at a time.
enum ChannelVectors {
    /// `values[r][c] += bias[c]`.
    static func addBias(_ bias: UnsafePointer<Float>, to values: UnsafeMutablePointer<Float>, rows: Int, channels: Int) {
        guard channels % 16 == 0 else {
            for r in 0..<rows { for c in 0..<channels { values[r * channels + c] += bias[c] } }
            return
        }
        let to = UnsafeMutableRawPointer(values), groups = channels / 16
        for j in 0..<groups {
            let b = UnsafeRawPointer(bias + 16 * j).loadUnaligned(as: SIMD16<Float>.self)
            for r in 0..<rows {
                let at = 64 * (r * groups + j)
                to.storeBytes(of: to.loadUnaligned(fromByteOffset: at, as: SIMD16<Float>.self) + b, toByteOffset: at,
                              as: SIMD16<Float>.self)
            }
        }
    }

    /// The per-channel sums `Σ_r values[r][c]`, formed in fp32 (a tile holds a few hundred thousand values at
    /// most), passed to `add(c, sum)`.
    @inline(__always)
    static func sums(_ values: UnsafePointer<Float>, rows: Int, channels: Int, _ add: (Int, Float) -> Void) {
        guard channels % 16 == 0 else {
            for c in 0..<channels {
                var total: Float = 0
                for r in 0..<rows { total += values[r * channels + c] }
                add(c, total)
            }
            return
        }
        let from = UnsafeRawPointer(values), groups = channels / 16
        for j in 0..<groups {
            var total = SIMD16<Float>.zero
            for r in 0..<rows { total += from.loadUnaligned(fromByteOffset: 64 * (r * groups + j), as: SIMD16<Float>.self) }
            for lane in 0..<16 { add(16 * j + lane, total[lane]) }
        }
    }
}
