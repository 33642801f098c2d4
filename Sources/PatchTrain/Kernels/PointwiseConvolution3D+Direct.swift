/// The head's arithmetic without GEMM, for the shape it has: a multiple of 16 input channels and a few classes.
/// OpenBLAS ran `[voxels × 16]·[16 × 4]` at ~5 GFLOP/s including the read; here every voxel is a handful of 16-lane
/// multiply-adds on the fp32 tile the caller has read, so what remains is the read and write (measured: backward
/// 518 → ~430 ms at the whole volume on one thread; the forward about as before).
extension PointwiseConvolution3D {
    /// Whether the direct loops below apply.
    var isDirect: Bool { inputChannels % 16 == 0 && outputChannels <= 16 }

    /// The weights `[ci][co]` transposed to `[co][ci]`, so that output channel o's weights are `cin / 16` vectors.
    func withTransposedWeights<R>(_ weights: UnsafePointer<Float>, _ body: (UnsafeRawPointer) -> R) -> R {
        let transposed = UnsafeMutablePointer<Float>.allocate(capacity: weightCount)
        defer { transposed.deallocate() }
        for ci in 0..<inputChannels {
            for co in 0..<outputChannels { transposed[co * inputChannels + ci] = weights[ci * outputChannels + co] }
        }
        return body(UnsafeRawPointer(transposed))
    }

    /// `outputs[v][o] = bias[o] + Σ_ci inputs[v][ci] · weights[ci][o]` for `count` voxels: the outputs of a voxel
    /// are the lanes of one vector, accumulated from each input channel times its row of weights (no horizontal sums).
    func directForward(inputs: UnsafePointer<Float>, count: Int, weights: UnsafePointer<Float>,
                       bias: UnsafePointer<Float>, outputs: UnsafeMutablePointer<Float>) {
        let cin = inputChannels, cout = outputChannels
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: cin + 1) { rows in
            for ci in 0...cin {
                var row = SIMD16<Float>.zero
                for o in 0..<cout { row[o] = ci < cin ? weights[ci * cout + o] : bias[o] }
                rows[ci] = row
            }
            let start = rows[cin]
            for v in 0..<count {
                let x = inputs + v * cin
                var sum = start
                for ci in 0..<cin { sum += x[ci] * rows[ci] }
                let out = outputs + v * cout
                for o in 0..<cout { out[o] = sum[o] }
            }
        }
    }

    /// `inputs[v][ci] = Σ_o gradients[v][o] · w[o][ci]` for `count` voxels.
    func directInputGradient(gradients: UnsafePointer<Float>, count: Int, transposed w: UnsafeRawPointer,
                             inputs: UnsafeMutablePointer<Float>) {
        let groups = inputChannels / 16, dx = UnsafeMutableRawPointer(inputs)
        for v in 0..<count {
            for j in 0..<groups {
                var sum = SIMD16<Float>.zero
                for o in 0..<outputChannels {
                    sum += gradients[v * outputChannels + o]
                        * w.loadUnaligned(fromByteOffset: 64 * (o * groups + j), as: SIMD16<Float>.self)
                }
                dx.storeBytes(of: sum, toByteOffset: 64 * (groups * v + j), as: SIMD16<Float>.self)
            }
        }
    }

    /// Adds `Σ_v inputs[v][ci] · gradients[v][o]` to `weightGradient[ci][co]` and `Σ_v gradients[v][o]` to
    /// `biasGradient`, summing the tile in fp32 first (as the GEMM with β = 1 did).
    func directWeightGradient(inputs: UnsafePointer<Float>, gradients: UnsafePointer<Float>, count: Int,
                              weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>) {
        let groups = inputChannels / 16, x = UnsafeRawPointer(inputs)
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: outputChannels * groups) { sums in
            sums.initialize(repeating: .zero)
            for v in 0..<count {
                for o in 0..<outputChannels {
                    let g = gradients[v * outputChannels + o]
                    for j in 0..<groups {
                        sums[o * groups + j] += g * x.loadUnaligned(fromByteOffset: 64 * (groups * v + j), as: SIMD16<Float>.self)
                    }
                }
            }
            for o in 0..<outputChannels {
                var bias: Float = 0
                for v in 0..<count { bias += gradients[v * outputChannels + o] }
                biasGradient[o] += bias
                for j in 0..<groups {
                    for lane in 0..<16 { weightGradient[(16 * j + lane) * outputChannels + o] += sums[o * groups + j][lane] }
                }
            }
        }
    }
}
