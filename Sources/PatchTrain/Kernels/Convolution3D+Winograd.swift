/// Winograd F(m,3) along z (`ConvolutionPlan.zWinogradOutputs`, transforms in `ZWinogradTransforms`) for the forward
/// and input-gradient passes in 9-tap tiles and for the weight gradient.
///
/// A group of m output voxels along a z-row takes the z taps g0, g1, g2 at the m + 2 padded positions it covers.
/// Each of the group's m + 2 transformed inputs u_i is a combination of those positions' 9-tap im2col rows, so the
/// pass is m + 2 GEMMs `[groups × 9·gathered]·[9·gathered × produced]` per tile, one per transformed weight matrix
/// G_i: (m + 2)/(3m) of the multiply-adds of one `[padded voxels × 9·gathered]·[9·gathered × 3·produced]` GEMM
/// (half for F(4,3)). Transforms are fp32 additions; the in-plane taps stay in the im2col, as in the direct passes.
extension Convolution3D {
    /// The forward (or, `mirrored`, input-gradient) pass: `sources` gathered with neighbours in `direction`,
    /// `gathered` channels in, `produced` out, plus `bias`, stored to (or added to) `destinations`.
    func winogradPass(_ sources: [ActivationSource], direction: Int, weights: UnsafePointer<Float>, mirrored: Bool,
                      gathered: Int, produced: Int, bias: UnsafePointer<Float>?,
                      into destinations: [ActivationTensor], accumulate: Bool, workspace: UnsafeMutableRawPointer) {
        guard let transforms = plan.zWinogradTransforms else { preconditionFailure("the plan has no Winograd passes") }
        let floats = workspace.bindMemory(to: Float.self, capacity: plan.workspaceFloats)
        let width = ConvolutionPlan.planeTaps * gathered, z = plan.extent.z, groups = z / transforms.outputs
        let points = transforms.points, matrix = width * produced
        winogradWeights(weights, transforms: transforms, mirrored: mirrored, gathered: gathered, produced: produced,
                        into: floats)
        let transformedWeights = UnsafePointer(floats)
        let tiles = plan.winogradTiles(gathered: gathered), tileRows = tiles.largestTile
        let transformed = tileRows * groups * width, products = tileRows * groups * produced
        let perWorker = (z + 2) * width + points * transformed + points * products + tileRows * z * produced
        forEachTile(tiles) { worker, row, count in
            let rowColumns = floats + points * matrix + worker * perWorker
            let inputs = rowColumns + (z + 2) * width
            let outputs = inputs + points * transformed
            let tile = outputs + points * products
            let q = count * groups
            for r in 0..<count {
                gatherPlaneNeighbourhoods(sources, direction: direction, firstRow: row + r, rowCount: 1,
                                          into: rowColumns)
                transforms.transformInputs(rowColumns, width: width, groups: groups,
                                           into: inputs + r * groups * width, stride: transformed)
            }
            for i in 0..<points {
                if produced == 16 && plan.sixteenColumnProducts {
                    Matrix.multiplySixteenColumns(m: q, k: width, a: inputs + i * transformed, lda: width,
                                                  b: transformedWeights + i * matrix, c: outputs + i * products)
                } else {
                    Matrix.multiply(m: q, n: produced, k: width, a: inputs + i * transformed, lda: width,
                                    b: transformedWeights + i * matrix, ldb: produced,
                                    c: outputs + i * products, ldc: produced)
                }
            }
            transforms.transformOutputs(outputs, channels: produced, groups: q, stride: products, bias: bias,
                                        into: tile)
            store(tile, channels: produced, firstRow: row, rowCount: count, into: destinations, accumulate: accumulate)
        }
    }

    /// `G_0 … G_{m+1}`, `[m + 2][9·gathered × produced]` (row `plane·gathered + a`), from `weights`
    /// `[kx][ky][kz][ci][co]`. Forward: a = ci, column co, z tap kz. Input gradient (`mirrored`): a = co, column ci,
    /// and z tap 2 − kz, as the pass reads dY with mirrored offsets.
    private func winogradWeights(_ weights: UnsafePointer<Float>, transforms: ZWinogradTransforms, mirrored: Bool,
                                 gathered: Int, produced: Int, into w: UnsafeMutablePointer<Float>) {
        let cin = plan.inputChannels, cout = plan.outputChannels, matrix = 9 * gathered * produced
        for plane in 0..<9 {
            for a in 0..<gathered {
                for b in 0..<produced {
                    func tap(_ kz: Int) -> Float {
                        mirrored ? weights[((plane * 3 + 2 - kz) * cin + b) * cout + a]
                                 : weights[((plane * 3 + kz) * cin + a) * cout + b]
                    }
                    transforms.transformWeights(tap(0), tap(1), tap(2), into: w + (plane * gathered + a) * produced + b,
                                       stride: matrix)
                }
            }
        }
    }
}

/// The weight gradient through the same F(m,3), transposed: with the inputs' u_i as in the forward pass and each
/// group's m dY voxels e turned into v = A·e, the sums M_i = Σ u_iᵀ v_i give the three z taps as Gᵀ·M: m + 2
/// GEMMs `[9·Cin × groups]·[groups × Cout]` per tile instead of one
/// `[3·Cout × padded voxels]·[padded voxels × 9·Cin]`.
extension Convolution3D {
    func winogradWeightGradient(sources: [ActivationSource], outputGradient: ActivationTensor,
                                weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                                workspace: UnsafeMutableRawPointer) {
        guard let transforms = plan.zWinogradTransforms else { preconditionFailure("the plan has no Winograd passes") }
        let cin = plan.inputChannels, cout = plan.outputChannels, width = ConvolutionPlan.planeTaps * cin
        let z = plan.extent.z, groups = z / transforms.outputs, points = transforms.points, matrix = width * cout
        let tiles = plan.winogradTiles(gathered: cin), tileRows = tiles.largestTile
        let transformed = tileRows * groups * width, products = tileRows * groups * cout
        let perWorker = points * matrix + (z + 2) * width + points * transformed + points * products
            + tileRows * z * cout
        let floats = workspace.bindMemory(to: Float.self, capacity: plan.workspaceFloats)
        for worker in 0..<plan.workers { (floats + worker * perWorker).update(repeating: 0, count: points * matrix) }
        withBiasPartials(channels: cout, addingTo: biasGradient) { biasPartials in
            forEachTile(tiles) { worker, row, count in
                let accumulators = floats + worker * perWorker
                let rowColumns = accumulators + points * matrix
                let inputs = rowColumns + (z + 2) * width
                let gradients = inputs + points * transformed
                let rows = gradients + points * products
                let bias = biasPartials + worker * cout
                let q = count * groups
                outputGradient.read(at: row * z * cout, count: count * z * cout, into: rows)
                for r in 0..<count {
                    gatherPlaneNeighbourhoods(sources, direction: 1, firstRow: row + r, rowCount: 1, into: rowColumns)
                    transforms.transformInputs(rowColumns, width: width, groups: groups,
                                               into: inputs + r * groups * width, stride: transformed)
                }
                transforms.transformGradients(rows, channels: cout, groups: q, into: gradients, stride: products)
                ChannelVectors.sums(rows, rows: count * z, channels: cout) { c, sum in bias[c] += Double(sum) }
                for i in 0..<points {
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
                    let sums = m + (plane * cin + ci) * cout
                    let g0 = weightGradient + (plane * 3 * cin + ci) * cout
                    let g1 = g0 + cin * cout, g2 = g1 + cin * cout
                    for o in 0..<cout {
                        let (d0, d1, d2) = transforms.weightGradientTaps(sums + o, stride: matrix)
                        g0[o] += d0
                        g1[o] += d1
                        g2[o] += d2
                    }
                }
            }
        }
    }
}
