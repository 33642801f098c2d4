import Foundation

/// 3×3×3 convolution, stride 1, zero "same" padding, with bias; channel-last `(batch, x, y, z, c)`.
///
/// Weights are fp32 in the GEMM-friendly layout `[kx][ky][kz][ci][co]` (`ConvolutionWeights` converts from and to
/// PyTorch's `(co, ci, kx, ky, kz)`). Inputs may be several sources whose channels are logically concatenated in
/// order (a decoder reads `[upsampled, skip]` without the concatenation ever being stored), each optionally read
/// through a fused normalisation + ReLU. All arithmetic is fp32 (sgemm); storage is whatever the tensors say.
public struct Convolution3D: Sendable {
    public let plan: ConvolutionPlan

    public init(plan: ConvolutionPlan) {
        self.plan = plan
    }

    /// `output = conv(concat(sources)) + bias`.
    public func forward(sources: [ActivationSource], weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                        output: ActivationTensor, workspace: UnsafeMutableRawPointer) {
        checkSources(sources)
        checkTensor(output, channels: plan.outputChannels)
        if takesSingleChannelPath {
            forwardSingleChannel(source: sources[0], weights: weights, bias: bias, output: output, workspace: workspace)
            return
        }
        if plan.forwardStacksYTaps {
            forwardStackingYTaps(sources: sources, weights: weights, bias: bias, output: output, workspace: workspace)
            return
        }
        let cin = plan.inputChannels, cout = plan.outputChannels
        if plan.zWinograd {
            winogradPass(sources, direction: 1, weights: weights, mirrored: false, gathered: cin, produced: cout,
                         bias: bias, into: [output], accumulate: false, workspace: workspace)
            return
        }
        let floats = workspace.bindMemory(to: Float.self, capacity: plan.workspaceFloats)
        // The in-plane weights of the three z taps side by side: stacked[kx·3+ky][ci][kz][co], [9·cin × 3·cout].
        let stacked = floats
        for plane in 0..<9 {
            for ci in 0..<cin {
                for kz in 0..<3 {
                    (stacked + ((plane * cin + ci) * 3 + kz) * cout).update(
                        from: weights + ((plane * 3 + kz) * cin + ci) * cout, count: cout)
                }
            }
        }
        // Output voxel z sums z tap kz at padded position z + kz.
        planeTapsPass(sources, direction: 1, weights: stacked, gathered: cin, produced: cout, tiles: plan.inputTiles,
                      bias: bias, mirrored: false, into: [output], accumulate: false)
    }

    /// Gradient with respect to each input source (the source's activation, i.e. after its transform), written to
    /// (or, with `accumulate`, added to) `inputGradients`, one per source with the source's channel count.
    public func backwardInput(outputGradient: ActivationTensor, weights: UnsafePointer<Float>,
                              inputGradients: [ActivationTensor], accumulate: Bool = false,
                              workspace: UnsafeMutableRawPointer) {
        checkTensor(outputGradient, channels: plan.outputChannels)
        precondition(inputGradients.reduce(0) { $0 + $1.channels } == plan.inputChannels, "input gradient channels")
        for g in inputGradients { checkTensor(g, channels: g.channels) }
        if plan.inputGradientStacksYTaps {
            backwardInputStackingYTaps(outputGradient: outputGradient, weights: weights, inputGradients: inputGradients,
                                       accumulate: accumulate, workspace: workspace)
            return
        }
        let cin = plan.inputChannels, cout = plan.outputChannels
        if plan.zWinograd {
            winogradPass([ActivationSource(outputGradient)], direction: -1, weights: weights, mirrored: true,
                         gathered: cout, produced: cin, bias: nil, into: inputGradients, accumulate: accumulate,
                         workspace: workspace)
            return
        }
        let floats = workspace.bindMemory(to: Float.self, capacity: plan.workspaceFloats)
        // dX[u, ci] = Σ_t Σ_co dY[u − d(t), co] · W[t, ci, co]: an im2col of dY with mirrored offsets against the
        // weights rearranged as [kx·3+ky][co][kz][ci], i.e. [9·cout × 3·cin].
        let rearranged = floats
        for plane in 0..<9 {
            for kz in 0..<3 {
                for ci in 0..<cin {
                    let from = weights + ((plane * 3 + kz) * cin + ci) * cout
                    let to = rearranged + plane * cout * 3 * cin + kz * cin + ci
                    for co in 0..<cout { to[co * 3 * cin] = from[co] }
                }
            }
        }
        // z tap kz reads dY at z − (kz − 1): padded position z + 2 − kz.
        planeTapsPass([ActivationSource(outputGradient)], direction: -1, weights: rearranged, gathered: cout, produced: cin,
                      tiles: plan.gradientTiles, bias: nil, mirrored: true, into: inputGradients,
                      accumulate: accumulate)
    }

    /// The tiled pass forward and input gradient share: per tile of z-rows, the 9-tap im2col of `sources`
    /// (`gathered` channels, neighbours in `direction`), one GEMM against `weights` (`[9·gathered × 3·produced]`,
    /// with the workers' tiles behind it in the workspace), the three z taps summed, and the result stored.
    private func planeTapsPass(_ sources: [ActivationSource], direction: Int, weights: UnsafeMutablePointer<Float>,
                               gathered: Int, produced: Int, tiles: RowTiles, bias: UnsafePointer<Float>?,
                               mirrored: Bool, into destinations: [ActivationTensor], accumulate: Bool) {
        let width = ConvolutionPlan.planeTaps * gathered, padded = plan.paddedVoxels(rowsPerTile: tiles.largestTile)
        let perWorker = padded * width + 4 * padded * produced
        forEachTile(tiles) { worker, row, count in
            let columns = weights + plan.weightCount + worker * perWorker
            let product = columns + padded * width
            let tile = product + 3 * padded * produced
            let n = count * (plan.extent.z + 2)
            gatherPlaneNeighbourhoods(sources, direction: direction, firstRow: row, rowCount: count, into: columns)
            // Voxel-major [n × 3·produced] = columns · weights: column kz·produced + c is z tap kz's contribution at
            // each padded voxel. Both operands are read as stored (no transposes), which lets OpenBLAS's
            // small-matrix kernels take them unpacked.
            Matrix.multiply(m: n, n: 3 * produced, k: width, a: columns, lda: width,
                            b: weights, ldb: 3 * produced, c: product, ldc: 3 * produced)
            sumTaps(product, channels: produced, rowCount: count, bias: bias, into: tile, mirrored: mirrored)
            store(tile, channels: produced, firstRow: row, rowCount: count, into: destinations, accumulate: accumulate)
        }
    }

    /// Adds the weight and bias gradients of this layer to `weightGradient` (`[kx][ky][kz][ci][co]`) and
    /// `biasGradient`; accumulating lets micro-batches sum into one fp32 gradient without an extra buffer.
    public func backwardWeights(sources: [ActivationSource], outputGradient: ActivationTensor,
                                weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                                workspace: UnsafeMutableRawPointer) {
        checkSources(sources)
        checkTensor(outputGradient, channels: plan.outputChannels)
        if takesSingleChannelPath {
            backwardWeightsSingleChannel(source: sources[0], outputGradient: outputGradient, weightGradient: weightGradient,
                                         biasGradient: biasGradient, workspace: workspace)
            return
        }
        if plan.zWinograd {
            winogradWeightGradient(sources: sources, outputGradient: outputGradient, weightGradient: weightGradient,
                                   biasGradient: biasGradient, workspace: workspace)
            return
        }
        let cin = plan.inputChannels, cout = plan.outputChannels, width = ConvolutionPlan.planeTaps * cin
        let ez = plan.extent.z, p = ez + 2
        let floats = workspace.bindMemory(to: Float.self, capacity: plan.workspaceFloats)
        // Per worker, dW_kzᵀ for the three z taps, [3·cout × 9·cin], accumulates over its tiles; the workers'
        // accumulators are added, rearranged, to the caller's gradient once at the end.
        let padded = plan.paddedVoxels(rowsPerTile: plan.inputTiles.largestTile)
        let perWorker = plan.weightCount + padded * width + 4 * padded * cout
        for worker in 0..<plan.workers { (floats + worker * perWorker).update(repeating: 0, count: plan.weightCount) }
        withBiasPartials(channels: cout, addingTo: biasGradient) { biasPartials in
            forEachTile(plan.inputTiles) { worker, row, count in
                let accumulator = floats + worker * perWorker
                let columns = accumulator + plan.weightCount
                let stackedGradient = columns + padded * width
                let rows = stackedGradient + 3 * padded * cout
                let bias = biasPartials + worker * cout
                let n = count * p
                gatherPlaneNeighbourhoods(sources, direction: 1, firstRow: row, rowCount: count, into: columns)
                // dW_kz = Σ_q dY[q] ⊗ A[q + kz − 1] = Σ_a dY[a + 1 − kz] ⊗ A[a]: dY stacked three times with
                // shifts, zero where the shifted position is padding, so one GEMM with 3·cout rows covers all z taps.
                for r in 0..<count {
                    let dy = rows + r * ez * cout
                    outputGradient.read(at: (row + r) * ez * cout, count: ez * cout, into: dy)
                    stackShifted(dy, channels: cout, into: stackedGradient + r * p * 3 * cout)
                }
                ChannelVectors.sums(rows, rows: count * ez, channels: cout) { c, sum in bias[c] += Double(sum) }
                Matrix.multiply(m: 3 * cout, n: width, k: n, a: stackedGradient, lda: 3 * cout, transposeA: true,
                                b: columns, ldb: width, c: accumulator, ldc: width, beta: 1)
            }
        }
        for worker in 0..<plan.workers {
            let accumulator = floats + worker * perWorker
            for kz in 0..<3 {
                for plane in 0..<9 {
                    for ci in 0..<cin {
                        let to = weightGradient + ((plane * 3 + kz) * cin + ci) * cout
                        let from = accumulator + kz * cout * width + plane * cin + ci
                        for o in 0..<cout { to[o] += from[o * width] }
                    }
                }
            }
        }
    }

    /// `to[zp][kz]` = `dy[zp − kz]` for the padded positions `zp` of one z-row, zero where `zp − kz` falls outside:
    /// dY three times, shifted by one voxel per z tap, `[z+2 × 3·channels]`.
    private func stackShifted(_ dy: UnsafePointer<Float>, channels: Int, into to: UnsafeMutablePointer<Float>) {
        let ez = plan.extent.z
        if channels % 16 == 0 {
            // Vector copies: a memmove call per 16 floats cost more than the copy.
            let from = UnsafeRawPointer(dy), target = UnsafeMutableRawPointer(to)
            for zp in 0..<(ez + 2) {
                for kz in 0..<3 {
                    let z = zp - kz, at = 4 * (zp * 3 + kz) * channels
                    for j in 0..<(channels / 16) {
                        let v = z >= 0 && z < ez
                            ? from.loadUnaligned(fromByteOffset: 4 * (z * channels + 16 * j), as: SIMD16<Float>.self) : .zero
                        target.storeBytes(of: v, toByteOffset: at + 64 * j, as: SIMD16<Float>.self)
                    }
                }
            }
            return
        }
        for zp in 0..<(ez + 2) {
            for kz in 0..<3 {
                let z = zp - kz  // voxel z sits at padded position z + kz in tap kz's copy
                if z >= 0 && z < ez {
                    (to + (zp * 3 + kz) * channels).update(from: dy + z * channels, count: channels)
                } else {
                    (to + (zp * 3 + kz) * channels).update(repeating: 0, count: channels)
                }
            }
        }
    }

    // MARK: - Tiles

    /// Fills the padded 9-tap im2col matrix of rows `firstRow ..< firstRow + rowCount`: padded voxel `zp` of tile
    /// row r (matrix row `r·(z+2) + zp`) holds, for each in-plane tap `(kx, ky)` and each source in order, that
    /// source's channels at `(x + direction·(kx−1), y + direction·(ky−1), zp − 1)`, zero outside the volume.
    func gatherPlaneNeighbourhoods(_ sources: [ActivationSource], direction: Int, firstRow: Int, rowCount: Int,
                                   into columns: UnsafeMutablePointer<Float>) {
        let ex = plan.extent.x, ey = plan.extent.y, ez = plan.extent.z
        let channels = sources.reduce(0) { $0 + $1.channels }
        let width = ConvolutionPlan.planeTaps * channels
        for r in 0..<rowCount {
            let row = firstRow + r
            let sample = row / (ex * ey), x = (row / ey) % ex, y = row % ey
            let rowColumns = columns + r * (ez + 2) * width
            for plane in 0..<9 {
                let xs = x + direction * (plane / 3 - 1), ys = y + direction * (plane % 3 - 1)
                let inside = xs >= 0 && xs < ex && ys >= 0 && ys < ey
                var column = plane * channels
                for source in sources {
                    let c = source.channels
                    (rowColumns + column).update(repeating: 0, count: c)
                    (rowColumns + (ez + 1) * width + column).update(repeating: 0, count: c)
                    if inside {
                        source.readVoxels(sample: sample, voxel: (xs * ey + ys) * ez, voxelCount: ez,
                                          into: rowColumns + width + column, destinationStride: width)
                    } else {
                        for z in 1...ez { (rowColumns + z * width + column).update(repeating: 0, count: c) }
                    }
                    column += c
                }
            }
        }
    }

    /// Runs `body(worker, firstRow, endRow)` for each of the plan's workers on its own thread, each with a
    /// contiguous share of the rows, with OpenBLAS single-threaded meanwhile. Workers write disjoint rows of the
    /// output and their own slices of the workspace.
    func forEachWorker(_ body: (Int, Int, Int) -> Void) {
        forEachWorkerShare(workers: plan.workers, of: plan.rows, body)
    }

    /// Runs `body` with each worker's fp64 bias partial sums (`[workers × channels]`, zeroed; a few doubles, the only
    /// allocation a kernel makes, outside the plan), then adds them to `biasGradient` in worker order.
    func withBiasPartials(channels: Int, addingTo biasGradient: UnsafeMutablePointer<Float>,
                          _ body: (UnsafeMutablePointer<Double>) -> Void) {
        let partials = UnsafeMutablePointer<Double>.allocate(capacity: plan.workers * channels)
        defer { partials.deallocate() }
        partials.initialize(repeating: 0, count: plan.workers * channels)
        body(partials)
        for worker in 0..<plan.workers {
            for o in 0..<channels { biasGradient[o] += Float(partials[worker * channels + o]) }
        }
    }

    /// Runs `body(worker, firstRow, rowCount)` for every tile of `tiles`, the plan's workers each taking a
    /// contiguous share of the tiles on its own thread (as `forEachWorker` does with rows).
    func forEachTile(_ tiles: RowTiles, _ body: (Int, Int, Int) -> Void) {
        forEachWorkerShare(workers: plan.workers, of: tiles.count) { worker, first, end in
            for index in first..<end {
                let (row, count) = tiles.rows(of: index)
                body(worker, row, count)
            }
        }
    }

    /// From the voxel-major product of all three z taps `[padded voxels × 3·channels]` to the channel-last tile
    /// `[voxels × channels]` of the real voxels: voxel z of tile row r sums, for each tap kz, padded voxel
    /// `r·(z+2) + z + kz` (forward) or `r·(z+2) + z + 2 − kz` (`mirrored`, the input gradient), plus the bias.
    /// Every read and write runs along channels, so the loop is contiguous on both sides.
    func sumTaps(_ product: UnsafePointer<Float>, channels: Int, rowCount: Int, bias: UnsafePointer<Float>?,
                 into tile: UnsafeMutablePointer<Float>, mirrored: Bool = false) {
        let ez = plan.extent.z, stride = 3 * channels
        let first = mirrored ? 2 : 0, last = mirrored ? 0 : 2
        for r in 0..<rowCount {
            let to = tile + r * ez * channels, base = product + r * (ez + 2) * stride
            for z in 0..<ez {
                let t0 = base + (z + first) * stride, t1 = base + (z + 1) * stride + channels
                let t2 = base + (z + last) * stride + 2 * channels, out = to + z * channels
                if channels == 16 {
                    // Explicit vectors: the compiler cannot prove `tile` and `product` apart and leaves this scalar.
                    let b = bias.map { UnsafeRawPointer($0).loadUnaligned(as: SIMD16<Float>.self) } ?? .zero
                    let sum = UnsafeRawPointer(t0).loadUnaligned(as: SIMD16<Float>.self)
                        + UnsafeRawPointer(t1).loadUnaligned(as: SIMD16<Float>.self)
                        + UnsafeRawPointer(t2).loadUnaligned(as: SIMD16<Float>.self) + b
                    UnsafeMutableRawPointer(out).storeBytes(of: sum, as: SIMD16<Float>.self)
                } else if let bias {
                    for c in 0..<channels { out[c] = t0[c] + t1[c] + t2[c] + bias[c] }
                } else {
                    for c in 0..<channels { out[c] = t0[c] + t1[c] + t2[c] }
                }
            }
        }
    }

    /// Writes a `[voxels × channels]` fp32 tile to the destinations, splitting channels in order.
    func store(_ tile: UnsafeMutablePointer<Float>, channels: Int, firstRow: Int, rowCount: Int,
               into destinations: [ActivationTensor], accumulate: Bool) {
        let voxels = rowCount * plan.extent.z, firstVoxel = firstRow * plan.extent.z
        if destinations.count == 1 {
            let d = destinations[0]
            d.store(tile, at: firstVoxel * channels, count: voxels * channels, accumulate: accumulate)
            return
        }
        var column = 0
        for d in destinations {
            let c = d.channels
            for v in 0..<voxels {
                d.store(tile + v * channels + column, at: (firstVoxel + v) * c, count: c, accumulate: accumulate)
            }
            column += c
        }
    }

    func checkSources(_ sources: [ActivationSource]) {
        precondition(!sources.isEmpty && sources.reduce(0) { $0 + $1.channels } == plan.inputChannels,
                     "input channels do not match the plan's \(plan.inputChannels)")
        for s in sources { checkTensor(s.tensor, channels: s.channels) }
    }

    func checkTensor(_ t: ActivationTensor, channels: Int) {
        precondition(t.batch == plan.batch && t.extent == plan.extent && t.channels == channels,
                     "tensor \(t.batch)×\(t.extent)×\(t.channels) does not match the plan \(plan.batch)×\(plan.extent)")
    }
}

/// Conversion between PyTorch's `Conv3d.weight` layout `(co, ci, kx, ky, kz)` and patchtrain's `[kx][ky][kz][ci][co]`.
public enum ConvolutionWeights {
    /// PyTorch `(co, ci, t)` → kernel `[t][ci][co]`, into caller-owned memory.
    public static func fromTorch(_ torch: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                                 inputChannels cin: Int, outputChannels cout: Int, taps: Int = 27) {
        for co in 0..<cout { for ci in 0..<cin { for t in 0..<taps { out[(t * cin + ci) * cout + co] = torch[(co * cin + ci) * taps + t] } } }
    }

    /// Kernel `[t][ci][co]` → PyTorch `(co, ci, t)`, into caller-owned memory.
    public static func toTorch(_ weights: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                               inputChannels cin: Int, outputChannels cout: Int, taps: Int = 27) {
        for co in 0..<cout { for ci in 0..<cin { for t in 0..<taps { out[(co * cin + ci) * taps + t] = weights[(t * cin + ci) * cout + co] } } }
    }

    public static func fromTorch(_ torch: [Float], inputChannels cin: Int, outputChannels cout: Int, taps: Int = 27) -> [Float] {
        precondition(torch.count == cout * cin * taps)
        return [Float](unsafeUninitializedCapacity: torch.count) { out, count in
            fromTorch(torch, into: out.baseAddress!, inputChannels: cin, outputChannels: cout, taps: taps)
            count = torch.count
        }
    }

    public static func toTorch(_ weights: [Float], inputChannels cin: Int, outputChannels cout: Int, taps: Int = 27) -> [Float] {
        precondition(weights.count == cout * cin * taps)
        return [Float](unsafeUninitializedCapacity: weights.count) { out, count in
            toTorch(weights, into: out.baseAddress!, inputChannels: cin, outputChannels: cout, taps: taps)
            count = weights.count
        }
    }
}
