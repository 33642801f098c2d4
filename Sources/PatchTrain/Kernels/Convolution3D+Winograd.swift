/// Winograd F(2,3) along z for the forward and input-gradient passes in 9-tap tiles and for the weight gradient
/// (`ConvolutionPlan.zWinograd`).
///
/// Output voxels 2j and 2j + 1 of a z-row take the z taps g0, g1, g2 at padded positions 2j … 2j + 3 (d0 … d3).
/// With u = (d0 − d2, d1 + d2, d2 − d1, d1 − d3) and G = (g0, (g0 + g1 + g2)/2, (g0 − g1 + g2)/2, g2), the products
/// m_i = u_i · G_i give y(2j) = m0 + m1 + m2 and y(2j + 1) = m1 − m2 − m3 (Lavin and Gray's F(2,3)). Each u_i is
/// a 9-tap im2col row, so the pass is four GEMMs `[pairs × 9·gathered]·[9·gathered × produced]` per tile: two thirds
/// of the multiply-adds of one `[padded voxels × 9·gathered]·[9·gathered × 3·produced]` GEMM. Transforms are fp32
/// additions; the in-plane taps stay in the im2col, as in the direct passes.
extension Convolution3D {
    /// The forward (or, `mirrored`, input-gradient) pass: `sources` gathered with neighbours in `direction`,
    /// `gathered` channels in, `produced` out, plus `bias`, stored to (or added to) `destinations`.
    func winogradPass(_ sources: [ActivationSource], direction: Int, weights: UnsafePointer<Float>, mirrored: Bool,
                      gathered: Int, produced: Int, bias: UnsafePointer<Float>?,
                      into destinations: [ActivationTensor], accumulate: Bool, workspace: UnsafeMutableRawPointer) {
        let floats = workspace.bindMemory(to: Float.self, capacity: plan.workspaceFloats)
        let width = ConvolutionPlan.planeTaps * gathered, z = plan.extent.z, pairs = z / 2
        let matrix = width * produced
        winogradWeights(weights, mirrored: mirrored, gathered: gathered, produced: produced, into: floats)
        let transformedWeights = UnsafePointer(floats)
        let tiles = plan.winogradTiles(gathered: gathered), tileRows = tiles.largestTile
        let transformed = tileRows * pairs * width, products = tileRows * pairs * produced
        let perWorker = (z + 2) * width + 4 * transformed + 4 * products + tileRows * z * produced
        forEachTile(tiles) { worker, row, count in
            let rowColumns = floats + 4 * matrix + worker * perWorker
            let inputs = rowColumns + (z + 2) * width
            let outputs = inputs + 4 * transformed
            let tile = outputs + 4 * products
            let q = count * pairs
            for r in 0..<count {
                gatherPlaneNeighbourhoods(sources, direction: direction, firstRow: row + r, rowCount: 1,
                                          into: rowColumns)
                transformInputs(rowColumns, width: width, pairs: pairs, into: inputs + r * pairs * width,
                                stride: transformed)
            }
            for i in 0..<4 {
                if produced == 16 && plan.sixteenColumnProducts {
                    Matrix.multiplySixteenColumns(m: q, k: width, a: inputs + i * transformed, lda: width,
                                                  b: transformedWeights + i * matrix, c: outputs + i * products)
                } else {
                    Matrix.multiply(m: q, n: produced, k: width, a: inputs + i * transformed, lda: width,
                                    b: transformedWeights + i * matrix, ldb: produced,
                                    c: outputs + i * products, ldc: produced)
                }
            }
            transformOutputs(outputs, channels: produced, pairs: q, stride: products, bias: bias, into: tile)
            store(tile, channels: produced, firstRow: row, rowCount: count, into: destinations, accumulate: accumulate)
        }
    }

    /// `G_0 … G_3`, `[4][9·gathered × produced]` (row `plane·gathered + a`), from `weights` `[kx][ky][kz][ci][co]`.
    /// Forward: a = ci, column co, z tap kz. Input gradient (`mirrored`): a = co, column ci, and z tap 2 − kz, as
    /// the pass reads dY with mirrored offsets.
    private func winogradWeights(_ weights: UnsafePointer<Float>, mirrored: Bool, gathered: Int, produced: Int,
                                 into w: UnsafeMutablePointer<Float>) {
        let cin = plan.inputChannels, cout = plan.outputChannels, matrix = 9 * gathered * produced
        for plane in 0..<9 {
            for a in 0..<gathered {
                for b in 0..<produced {
                    func tap(_ kz: Int) -> Float {
                        mirrored ? weights[((plane * 3 + 2 - kz) * cin + b) * cout + a]
                                 : weights[((plane * 3 + kz) * cin + a) * cout + b]
                    }
                    let g0 = tap(0), g1 = tap(1), g2 = tap(2), at = (plane * gathered + a) * produced + b
                    w[at] = g0
                    w[matrix + at] = (g0 + g1 + g2) * 0.5
                    w[2 * matrix + at] = (g0 - g1 + g2) * 0.5
                    w[3 * matrix + at] = g2
                }
            }
        }
    }

    /// From one padded row's 9-tap im2col `d` (`[z+2 × width]`) to its four transformed inputs: pair j's u_i at
    /// `u + i·stride + j·width`.
    fileprivate func transformInputs(_ d: UnsafePointer<Float>, width: Int, pairs: Int, into u: UnsafeMutablePointer<Float>,
                                 stride: Int) {
        let vectorWidth = width - width % 16
        for j in 0..<pairs {
            let d0 = d + 2 * j * width, d1 = d0 + width, d2 = d1 + width, d3 = d2 + width
            let u0 = u + j * width, u1 = u0 + stride, u2 = u1 + stride, u3 = u2 + stride
            var c = 0
            while c < vectorWidth {
                let a = UnsafeRawPointer(d0 + c).loadUnaligned(as: SIMD16<Float>.self)
                let b = UnsafeRawPointer(d1 + c).loadUnaligned(as: SIMD16<Float>.self)
                let e = UnsafeRawPointer(d2 + c).loadUnaligned(as: SIMD16<Float>.self)
                let f = UnsafeRawPointer(d3 + c).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(u0 + c).storeBytes(of: a - e, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(u1 + c).storeBytes(of: b + e, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(u2 + c).storeBytes(of: e - b, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(u3 + c).storeBytes(of: b - f, as: SIMD16<Float>.self)
                c += 16
            }
            while c < width {
                u0[c] = d0[c] - d2[c]
                u1[c] = d1[c] + d2[c]
                u2[c] = d2[c] - d1[c]
                u3[c] = d1[c] - d3[c]
                c += 1
            }
        }
    }

    /// From the four products (`m + i·stride`, `[pairs × channels]` each) to the channel-last tile: pair q's two
    /// voxels 2q and 2q + 1, plus the bias.
    private func transformOutputs(_ m: UnsafePointer<Float>, channels: Int, pairs: Int, stride: Int,
                                  bias: UnsafePointer<Float>?, into tile: UnsafeMutablePointer<Float>) {
        let vectorChannels = channels - channels % 16
        for q in 0..<pairs {
            let m0 = m + q * channels, m1 = m0 + stride, m2 = m1 + stride, m3 = m2 + stride
            let y0 = tile + 2 * q * channels, y1 = y0 + channels
            var c = 0
            while c < vectorChannels {
                let a = UnsafeRawPointer(m0 + c).loadUnaligned(as: SIMD16<Float>.self)
                let b = UnsafeRawPointer(m1 + c).loadUnaligned(as: SIMD16<Float>.self)
                let e = UnsafeRawPointer(m2 + c).loadUnaligned(as: SIMD16<Float>.self)
                let f = UnsafeRawPointer(m3 + c).loadUnaligned(as: SIMD16<Float>.self)
                let offset = bias.map { UnsafeRawPointer($0 + c).loadUnaligned(as: SIMD16<Float>.self) } ?? .zero
                UnsafeMutableRawPointer(y0 + c).storeBytes(of: a + b + e + offset, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(y1 + c).storeBytes(of: b - e - f + offset, as: SIMD16<Float>.self)
                c += 16
            }
            while c < channels {
                let offset = bias?[c] ?? 0
                y0[c] = m0[c] + m1[c] + m2[c] + offset
                y1[c] = m1[c] - m2[c] - m3[c] + offset
                c += 1
            }
        }
    }
}

/// The weight gradient through the same F(2,3), transposed: with the inputs' u_i as in the forward pass and dY's
/// pairs (e0, e1) = (dY(2j), dY(2j + 1)) turned into v = (e0, e0 + e1, e0 − e1, −e1), the sums M_i = Σ u_iᵀ v_i give
/// the three z taps as dW_0 = M0 + (M1 + M2)/2, dW_1 = (M1 − M2)/2, dW_2 = (M1 + M2)/2 + M3: four GEMMs
/// `[9·Cin × pairs]·[pairs × Cout]` per tile instead of one `[3·Cout × padded voxels]·[padded voxels × 9·Cin]`.
extension Convolution3D {
    func winogradWeightGradient(sources: [ActivationSource], outputGradient: ActivationTensor,
                                weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                                workspace: UnsafeMutableRawPointer) {
        let cin = plan.inputChannels, cout = plan.outputChannels, width = ConvolutionPlan.planeTaps * cin
        let z = plan.extent.z, pairs = z / 2, matrix = width * cout
        let tiles = plan.winogradTiles(gathered: cin), tileRows = tiles.largestTile
        let transformed = tileRows * pairs * width, products = tileRows * pairs * cout
        let perWorker = 4 * matrix + (z + 2) * width + 4 * transformed + 4 * products + tileRows * z * cout
        let floats = workspace.bindMemory(to: Float.self, capacity: plan.workspaceFloats)
        for worker in 0..<plan.workers { (floats + worker * perWorker).update(repeating: 0, count: 4 * matrix) }
        withBiasPartials(channels: cout, addingTo: biasGradient) { biasPartials in
            forEachTile(tiles) { worker, row, count in
                let accumulators = floats + worker * perWorker
                let rowColumns = accumulators + 4 * matrix
                let inputs = rowColumns + (z + 2) * width
                let gradients = inputs + 4 * transformed
                let rows = gradients + 4 * products
                let bias = biasPartials + worker * cout
                let q = count * pairs
                outputGradient.read(at: row * z * cout, count: count * z * cout, into: rows)
                for r in 0..<count {
                    gatherPlaneNeighbourhoods(sources, direction: 1, firstRow: row + r, rowCount: 1, into: rowColumns)
                    transformInputs(rowColumns, width: width, pairs: pairs, into: inputs + r * pairs * width,
                                    stride: transformed)
                }
                transformGradients(rows, channels: cout, pairs: q, into: gradients, stride: products)
                ChannelVectors.sums(rows, rows: count * z, channels: cout) { c, sum in bias[c] += Double(sum) }
                for i in 0..<4 {
                    if cout == 16 && plan.sixteenColumnProducts {
                        Matrix.multiplyAddingTransposedSixteenColumns(m: width, k: q, a: inputs + i * transformed,
                                                                      b: gradients + i * products,
                                                                      c: accumulators + i * matrix)
                    } else {
                        Matrix.multiply(m: width, n: cout, k: q, a: inputs + i * transformed, lda: width,
                                        transposeA: true, b: gradients + i * products, ldb: cout,
                                        c: accumulators + i * matrix, ldc: cout, beta: 1)
                    }
                }
            }
        }
        for worker in 0..<plan.workers {
            let m = floats + worker * perWorker
            for plane in 0..<9 {
                for ci in 0..<cin {
                    let m0 = m + (plane * cin + ci) * cout, m1 = m0 + matrix, m2 = m1 + matrix, m3 = m2 + matrix
                    let g0 = weightGradient + (plane * 3 * cin + ci) * cout
                    let g1 = g0 + cin * cout, g2 = g1 + cin * cout
                    for o in 0..<cout {
                        let half1 = 0.5 * m1[o], half2 = 0.5 * m2[o]
                        g0[o] += m0[o] + half1 + half2
                        g1[o] += half1 - half2
                        g2[o] += half1 + half2 + m3[o]
                    }
                }
            }
        }
    }

    /// From dY rows (`[pairs · 2 × channels]`) to the four transformed gradients: pair q's v_i at
    /// `v + i·stride + q·channels`.
    private func transformGradients(_ e: UnsafePointer<Float>, channels: Int, pairs: Int,
                                    into v: UnsafeMutablePointer<Float>, stride: Int) {
        let vectorChannels = channels - channels % 16
        for q in 0..<pairs {
            let e0 = e + 2 * q * channels, e1 = e0 + channels
            let v0 = v + q * channels, v1 = v0 + stride, v2 = v1 + stride, v3 = v2 + stride
            var c = 0
            while c < vectorChannels {
                let a = UnsafeRawPointer(e0 + c).loadUnaligned(as: SIMD16<Float>.self)
                let b = UnsafeRawPointer(e1 + c).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(v0 + c).storeBytes(of: a, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(v1 + c).storeBytes(of: a + b, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(v2 + c).storeBytes(of: a - b, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(v3 + c).storeBytes(of: -b, as: SIMD16<Float>.self)
                c += 16
            }
            while c < channels {
                v0[c] = e0[c]
                v1[c] = e0[c] + e1[c]
                v2[c] = e0[c] - e1[c]
                v3[c] = -e1[c]
                c += 1
            }
        }
    }
}
