/// The head's arithmetic without GEMM, for the shape it has: a multiple of 16 input channels and a few classes.
/// OpenBLAS ran `[voxels × 16]·[16 × 4]` at ~5 GFLOP/s; here every voxel is a handful of 16-lane multiply-adds
/// on the fp32 tile the caller has read, and the layer runs at the speed of reading it.
extension PointwiseConvolution3D {
    /// Whether the direct loops below apply.
    var isDirect: Bool { inputChannels % 16 == 0 && outputChannels <= 16 }

    /// The weights `[ci][co]` transposed to `[co][ci]`, so that output channel o's weights are `cin / 16` vectors.
    func withTransposedWeights<R>(_ weights: UnsafePointer<Float>, _ body: (UnsafeRawPointer) -> R) -> R {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: weightCount) { buffer in
            let to = buffer.baseAddress!
            for ci in 0..<inputChannels {
                for co in 0..<outputChannels { to[co * inputChannels + ci] = weights[ci * outputChannels + co] }
            }
            return body(UnsafeRawPointer(to))
        }
    }

    /// `outputs[v][o] = bias[o] + Σ_ci inputs[v][ci] · w[o][ci]` for `count` voxels.
    func directForward(inputs: UnsafePointer<Float>, count: Int, transposed w: UnsafeRawPointer,
                       bias: UnsafePointer<Float>, outputs: UnsafeMutablePointer<Float>) {
        let groups = inputChannels / 16, x = UnsafeRawPointer(inputs)
        for v in 0..<count {
            let row = 64 * groups * v
            for o in 0..<outputChannels {
                var sum = SIMD16<Float>.zero
                for j in 0..<groups {
                    sum += x.loadUnaligned(fromByteOffset: row + 64 * j, as: SIMD16<Float>.self)
                        * w.loadUnaligned(fromByteOffset: 64 * (o * groups + j), as: SIMD16<Float>.self)
                }
                outputs[v * outputChannels + o] = sum.sum() + bias[o]
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
