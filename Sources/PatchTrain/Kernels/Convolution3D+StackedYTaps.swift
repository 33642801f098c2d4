/// The forward and input-gradient passes for layers whose row GEMM runs unpacked, in pieces of
/// `ConvolutionPlan.stackedGemmRows` padded voxels (`forwardStacksYTaps`, `inputGradientStacksYTaps`), such as 16→16
/// channels at 128³ or 240×240×160.
///
/// Each z-row's im2col holds only the three x taps (`[z+2 × 3·cin]`, a third of the 9-tap gather); one GEMM multiplies
/// it by the weights of all nine (y, z) taps side by side (`[3·cin × 9·cout]`). Input row y′ then feeds output rows
/// y′ − 1, y′ and y′ + 1 of the same x line: its product is added, z-shifted per z tap, into three fp32 rows that
/// rotate along the line, and the row that has received all three contributions is stored. Measured against the
/// 9-tap tile with 3·cout outputs: OpenBLAS's small-matrix kernel runs the 144-wide product ~25% faster than the
/// 48-wide one, and the gather, the other large cost, shrinks to a third. The input gradient is the same pass: a
/// convolution of dY with the weights mirrored in space and transposed in channels.
extension Convolution3D {
    func forwardStackingYTaps(sources: [ActivationSource], weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                              output: ActivationTensor, workspace: UnsafeMutableRawPointer) {
        let cin = plan.inputChannels, cout = plan.outputChannels, outputs = 9 * cout
        let stacked = workspace.bindMemory(to: Float.self, capacity: plan.workspaceFloats)
        // stacked[kx][ci][ky·3+kz][co]: row kx·cin + ci of the im2col meets column (ky·3+kz)·cout + co of the product.
        for kx in 0..<3 {
            for ky in 0..<3 {
                for kz in 0..<3 {
                    for ci in 0..<cin {
                        (stacked + (kx * cin + ci) * outputs + (ky * 3 + kz) * cout).update(
                            from: weights + (((kx * 3 + ky) * 3 + kz) * cin + ci) * cout, count: cout)
                    }
                }
            }
        }
        stackedYTapsPass(sources: sources, channels: cin, outputChannels: cout, stacked: stacked, bias: bias,
                         destinations: [output], accumulate: false)
    }

    /// dX[u, ci] = Σ_t Σ_co dY[u − d(t), co] · W[t, ci, co]: the forward pass over dY with weights
    /// `W′[k][co][ci] = W[2 − k][ci][co]` (k per axis), no bias.
    func backwardInputStackingYTaps(outputGradient: ActivationTensor, weights: UnsafePointer<Float>,
                                    inputGradients: [ActivationTensor], accumulate: Bool,
                                    workspace: UnsafeMutableRawPointer) {
        let cin = plan.inputChannels, cout = plan.outputChannels, outputs = 9 * cin
        let stacked = workspace.bindMemory(to: Float.self, capacity: plan.workspaceFloats)
        for kx in 0..<3 {
            for ky in 0..<3 {
                for kz in 0..<3 {
                    for ci in 0..<cin {
                        let from = weights + ((((2 - kx) * 3 + 2 - ky) * 3 + 2 - kz) * cin + ci) * cout
                        let to = stacked + kx * cout * outputs + (ky * 3 + kz) * cin + ci
                        for co in 0..<cout { to[co * outputs] = from[co] }
                    }
                }
            }
        }
        stackedYTapsPass(sources: [ActivationSource(outputGradient)], channels: cout, outputChannels: cin,
                         stacked: stacked, bias: nil, destinations: inputGradients, accumulate: accumulate)
    }

    /// The pass itself: `sources` (`cin` channels in all) convolved with `stacked` (`[3·cin × 9·cout]`, laid out as
    /// the forward pass builds it, at the workspace's start) plus `bias`, stored to (or added to) `destinations`.
    func stackedYTapsPass(sources: [ActivationSource], channels cin: Int, outputChannels cout: Int,
                          stacked: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?,
                          destinations: [ActivationTensor], accumulate: Bool) {
        let ey = plan.extent.y, ez = plan.extent.z, p = ez + 2
        let width = 3 * cin, outputs = 9 * cout
        let perWorker = p * width + p * outputs + 3 * ez * cout
        forEachWorker { worker, firstRow, endRow in
            let columns = stacked + plan.weightCount + worker * perWorker
            let product = columns + p * width
            let rows = product + p * outputs
            func accumulator(_ y: Int) -> UnsafeMutablePointer<Float> { rows + (y % 3) * ez * cout }
            func reset(_ y: Int) {
                let to = accumulator(y)
                guard let bias else {
                    to.update(repeating: 0, count: ez * cout)
                    return
                }
                if cout == 16 {
                    // One vector store per voxel rather than a memmove call each.
                    let b = UnsafeRawPointer(bias).loadUnaligned(as: SIMD16<Float>.self)
                    for z in 0..<ez { UnsafeMutableRawPointer(to + z * 16).storeBytes(of: b, as: SIMD16<Float>.self) }
                } else {
                    for z in 0..<ez { (to + z * cout).update(from: bias, count: cout) }
                }
            }
            var row = firstRow
            // Segments of the worker's rows that lie on one x line; a segment's edge rows read the products of the
            // input rows just outside it, which are computed again there (two extra rows per segment).
            while row < endRow {
                let line = row / ey, first = row % ey, end = min(ey, first + endRow - row)
                let sample = line / plan.extent.x, x = line % plan.extent.x
                reset(first)
                for y in max(0, first - 1)...min(ey - 1, end) {
                    if y + 1 < end { reset(y + 1) }
                    gatherLineNeighbourhoods(sources, width: width, sample: sample, x: x, y: y, into: columns)
                    // In pieces small enough for OpenBLAS's unpacked small-matrix kernels.
                    var piece = 0
                    while piece < p {
                        let m = min(plan.stackedGemmRows, p - piece)
                        Matrix.multiply(m: m, n: outputs, k: width, a: columns + piece * width, lda: width,
                                        b: stacked, ldb: outputs, c: product + piece * outputs, ldc: outputs)
                        piece += m
                    }
                    // Input row y reaches output row y + 1 − ky through y tap ky.
                    for ky in 0..<3 where y + 1 - ky >= first && y + 1 - ky < end {
                        addTaps(product, yTap: ky, channels: cout, into: accumulator(y + 1 - ky))
                    }
                    if y - 1 >= first {
                        store(accumulator(y - 1), channels: cout, firstRow: line * ey + y - 1, rowCount: 1,
                              into: destinations, accumulate: accumulate)
                    }
                }
                // The last row of a segment that ends at the volume's edge has no input row after it.
                if end == ey {
                    store(accumulator(end - 1), channels: cout, firstRow: line * ey + end - 1, rowCount: 1,
                          into: destinations, accumulate: accumulate)
                }
                row += end - first
            }
        }
    }

    /// Fills the padded 3-tap im2col of input row `(sample, x, y)`: padded voxel `zp` holds, for each x tap kx and
    /// each source in order, that source's channels at `(x + kx − 1, y, zp − 1)`, zero outside the volume.
    func gatherLineNeighbourhoods(_ sources: [ActivationSource], width: Int, sample: Int, x: Int, y: Int,
                                  into columns: UnsafeMutablePointer<Float>) {
        let ex = plan.extent.x, ey = plan.extent.y, ez = plan.extent.z
        for kx in 0..<3 {
            let xs = x + kx - 1
            var column = kx * width / 3
            for source in sources {
                let c = source.channels
                (columns + column).update(repeating: 0, count: c)
                (columns + (ez + 1) * width + column).update(repeating: 0, count: c)
                if xs >= 0 && xs < ex {
                    source.readVoxels(sample: sample, voxel: (xs * ey + y) * ez, voxelCount: ez,
                                      into: columns + width + column, destinationStride: width)
                } else {
                    for z in 1...ez { (columns + z * width + column).update(repeating: 0, count: c) }
                }
                column += c
            }
        }
    }

    /// `row[z] += Σ_kz product[z + kz][(yTap·3 + kz)·channels ..< +channels]`: one y tap's three z taps, shifted.
    func addTaps(_ product: UnsafePointer<Float>, yTap: Int, channels: Int, into row: UnsafeMutablePointer<Float>) {
        let stride = 9 * channels
        let t0 = product + yTap * 3 * channels, t1 = t0 + stride + channels, t2 = t0 + 2 * stride + 2 * channels
        if channels % 16 == 0 {
            // Explicit vectors: the compiler cannot prove `row` and `product` apart and left this loop scalar.
            let vectors = channels / 16
            for z in 0..<plan.extent.z {
                let out = UnsafeMutableRawPointer(row + z * channels), offset = z * stride
                let a = UnsafeRawPointer(t0 + offset), b = UnsafeRawPointer(t1 + offset)
                let c = UnsafeRawPointer(t2 + offset)
                for v in 0..<vectors {
                    let at = 64 * v
                    let taps = a.loadUnaligned(fromByteOffset: at, as: SIMD16<Float>.self)
                        + b.loadUnaligned(fromByteOffset: at, as: SIMD16<Float>.self)
                        + c.loadUnaligned(fromByteOffset: at, as: SIMD16<Float>.self)
                    let sum = out.loadUnaligned(fromByteOffset: at, as: SIMD16<Float>.self) + taps
                    out.storeBytes(of: sum, toByteOffset: at, as: SIMD16<Float>.self)
                }
            }
            return
        }
        for z in 0..<plan.extent.z {
            let out = row + z * channels, offset = z * stride
            for c in 0..<channels { out[c] += t0[offset + c] + t1[offset + c] + t2[offset + c] }
        }
    }
}
