/// The per-chunk loops of `Normalization` for channel counts that are multiples of 16, sixteen channels to a
/// register. Sums run in fp32 over blocks of `blockVoxels` voxels in registers, then into fp32 chunk sums, then into
/// the caller's fp64 sums once per chunk: the scalar fp64 loops they replace ran at under 2 GB/s.
extension Normalization {
    static let blockVoxels = 32

    /// Adds Σ y and Σ y² of a chunk of `count` voxels (`values`, channel-last fp32) to `sum` and `squares`.
    static func addSums(_ values: UnsafePointer<Float>, count: Int, channels: Int,
                        sum: UnsafeMutablePointer<Double>, squares: UnsafeMutablePointer<Double>) {
        let groups = channels / 16
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 2 * groups) { totals in
            totals.initialize(repeating: .zero)
            let raw = UnsafeRawPointer(values)
            var first = 0
            while first < count {
                let end = min(count, first + blockVoxels)
                for j in 0..<groups {
                    var s = SIMD16<Float>.zero, q = SIMD16<Float>.zero
                    for v in first..<end {
                        let y = raw.loadUnaligned(fromByteOffset: 4 * (v * channels + 16 * j), as: SIMD16<Float>.self)
                        s += y
                        q += y * y
                    }
                    totals[j] += s
                    totals[groups + j] += q
                }
                first = end
            }
            for j in 0..<groups {
                for lane in 0..<16 {
                    sum[16 * j + lane] += Double(totals[j][lane])
                    squares[16 * j + lane] += Double(totals[groups + j][lane])
                }
            }
        }
    }

    /// Backward pass 1 over a chunk: adds Σ dz and Σ dz·x̂ to the sums, dz = dL/da where the ReLU passed the value.
    static func addGradientSums(values: UnsafePointer<Float>, gradients: UnsafePointer<Float>, count: Int, channels: Int,
                                scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                                inverseStd: UnsafePointer<Float>,
                                sumGradient: UnsafeMutablePointer<Double>, sumGradientNormalized: UnsafeMutablePointer<Double>) {
        let groups = channels / 16
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 2 * groups) { totals in
            totals.initialize(repeating: .zero)
            let ys = UnsafeRawPointer(values), ds = UnsafeRawPointer(gradients)
            let zero = SIMD16<Float>.zero
            var first = 0
            while first < count {
                let end = min(count, first + blockVoxels)
                for j in 0..<groups {
                    let sc = vector(scale, j), sh = vector(shift, j), mu = vector(mean, j), inv = vector(inverseStd, j)
                    var s = zero, n = zero
                    for v in first..<end {
                        let at = 4 * (v * channels + 16 * j)
                        let y = ys.loadUnaligned(fromByteOffset: at, as: SIMD16<Float>.self)
                        let d = ds.loadUnaligned(fromByteOffset: at, as: SIMD16<Float>.self)
                        let dz = d.replacing(with: zero, where: .!(y * sc + sh .> zero))
                        s += dz
                        n += dz * ((y - mu) * inv)
                    }
                    totals[j] += s
                    totals[groups + j] += n
                }
                first = end
            }
            for j in 0..<groups {
                for lane in 0..<16 {
                    sumGradient[16 * j + lane] += Double(totals[j][lane])
                    sumGradientNormalized[16 * j + lane] += Double(totals[groups + j][lane])
                }
            }
        }
    }

    /// Backward pass 2 over a chunk, in place in `gradients`: dy = gain·(dz − mean(dz)) − slope·(y − μ).
    static func rewriteGradients(values: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>, count: Int,
                                 channels: Int, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>,
                                 mean: UnsafePointer<Float>, gain: UnsafePointer<Float>,
                                 meanGradient: UnsafePointer<Float>, slope: UnsafePointer<Float>) {
        let ys = UnsafeRawPointer(values), ds = UnsafeMutableRawPointer(gradients)
        let zero = SIMD16<Float>.zero
        for j in 0..<(channels / 16) {
            let sc = vector(scale, j), sh = vector(shift, j), mu = vector(mean, j)
            let a = vector(gain, j), md = vector(meanGradient, j), b = vector(slope, j)
            for v in 0..<count {
                let at = 4 * (v * channels + 16 * j)
                let y = ys.loadUnaligned(fromByteOffset: at, as: SIMD16<Float>.self)
                let d = ds.loadUnaligned(fromByteOffset: at, as: SIMD16<Float>.self)
                let dz = d.replacing(with: zero, where: .!(y * sc + sh .> zero))
                ds.storeBytes(of: a * (dz - md) - b * (y - mu), toByteOffset: at, as: SIMD16<Float>.self)
            }
        }
    }

    @inline(__always)
    private static func vector(_ p: UnsafePointer<Float>, _ group: Int) -> SIMD16<Float> {
        UnsafeRawPointer(p + 16 * group).loadUnaligned(as: SIMD16<Float>.self)
    }
}
