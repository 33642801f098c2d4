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
        let width = ConvolutionPlan.taps * plan.inputChannels, cout = plan.outputChannels
        let columns = workspace.bindMemory(to: Float.self, capacity: plan.workspaceFloats)
        let tileRows = plan.inputRowsPerTile
        let product = columns + tileRows * plan.extent.z * width
        let tile = product + tileRows * plan.extent.z * cout
        var row = 0
        while row < plan.rows {
            let count = min(tileRows, plan.rows - row), voxels = count * plan.extent.z
            gatherNeighbourhoods(sources, direction: 1, firstRow: row, rowCount: count, into: columns)
            // Channel-major product [cout × voxels] = Wᵀ · columnsᵀ: OpenBLAS runs this shape (few rows, many
            // columns) about 1.5× faster than [voxels × cout] when cout is small (measured 30 vs 20 GFLOP/s at 16).
            Matrix.multiply(m: cout, n: voxels, k: width, a: weights, lda: cout, transposeA: true,
                            b: columns, ldb: width, transposeB: true, c: product, ldc: voxels)
            transpose(product, channels: cout, voxels: voxels, bias: bias, into: tile)
            store(tile, channels: cout, firstRow: row, rowCount: count, into: [output], accumulate: false)
            row += count
        }
    }

    /// Gradient with respect to each input source (the source's activation, i.e. after its transform), written to
    /// (or, with `accumulate`, added to) `inputGradients`, one per source with the source's channel count.
    public func backwardInput(outputGradient: ActivationTensor, weights: UnsafePointer<Float>,
                              inputGradients: [ActivationTensor], accumulate: Bool = false,
                              workspace: UnsafeMutableRawPointer) {
        checkTensor(outputGradient, channels: plan.outputChannels)
        precondition(inputGradients.reduce(0) { $0 + $1.channels } == plan.inputChannels, "input gradient channels")
        for g in inputGradients { checkTensor(g, channels: g.channels) }
        let cin = plan.inputChannels, cout = plan.outputChannels, taps = ConvolutionPlan.taps
        let width = taps * cout
        let floats = workspace.bindMemory(to: Float.self, capacity: plan.workspaceFloats)
        // dX[u, ci] = Σ_t Σ_co dY[u − d(t), co] · W[t, ci, co]: an im2col of dY with mirrored offsets against the
        // weights rearranged as R[ci][t][co]; the product comes out channel-major [cin × voxels] as in forward.
        let rearranged = floats
        for t in 0..<taps {
            for ci in 0..<cin {
                for co in 0..<cout { rearranged[(ci * taps + t) * cout + co] = weights[(t * cin + ci) * cout + co] }
            }
        }
        let tileRows = plan.gradientRowsPerTile
        let columns = rearranged + plan.weightCount
        let product = columns + tileRows * plan.extent.z * width
        let tile = product + tileRows * plan.extent.z * cin
        let source = [ActivationSource(outputGradient)]
        var row = 0
        while row < plan.rows {
            let count = min(tileRows, plan.rows - row), voxels = count * plan.extent.z
            gatherNeighbourhoods(source, direction: -1, firstRow: row, rowCount: count, into: columns)
            Matrix.multiply(m: cin, n: voxels, k: width, a: rearranged, lda: width,
                            b: columns, ldb: width, transposeB: true, c: product, ldc: voxels)
            transpose(product, channels: cin, voxels: voxels, bias: nil, into: tile)
            store(tile, channels: cin, firstRow: row, rowCount: count, into: inputGradients, accumulate: accumulate)
            row += count
        }
    }

    /// Adds the weight and bias gradients of this layer to `weightGradient` (`[kx][ky][kz][ci][co]`) and
    /// `biasGradient`; accumulating lets micro-batches sum into one fp32 gradient without an extra buffer.
    public func backwardWeights(sources: [ActivationSource], outputGradient: ActivationTensor,
                                weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                                workspace: UnsafeMutableRawPointer) {
        checkSources(sources)
        checkTensor(outputGradient, channels: plan.outputChannels)
        let width = ConvolutionPlan.taps * plan.inputChannels, cout = plan.outputChannels
        let floats = workspace.bindMemory(to: Float.self, capacity: plan.workspaceFloats)
        // dWᵀ [cout × width] accumulates over tiles (the [cout × …] shape is the faster one, as in forward) and is
        // added, transposed, to the caller's gradient once at the end.
        let accumulator = floats
        let columns = accumulator + plan.weightCount
        let tileRows = plan.inputRowsPerTile
        let widened = columns + tileRows * plan.extent.z * width
        var row = 0
        while row < plan.rows {
            let count = min(tileRows, plan.rows - row), voxels = count * plan.extent.z
            gatherNeighbourhoods(sources, direction: 1, firstRow: row, rowCount: count, into: columns)
            let offset = row * plan.extent.z * cout
            let gradient: UnsafePointer<Float>
            if outputGradient.element == .float32 {
                gradient = UnsafePointer(outputGradient.base.assumingMemoryBound(to: Float.self) + offset)
            } else {
                outputGradient.read(at: offset, count: voxels * cout, into: widened)
                gradient = UnsafePointer(widened)
            }
            Matrix.multiply(m: cout, n: width, k: voxels, a: gradient, lda: cout, transposeA: true,
                            b: columns, ldb: width, c: accumulator, ldc: width, beta: row == 0 ? 0 : 1)
            for v in 0..<voxels {
                let g = gradient + v * cout
                for o in 0..<cout { biasGradient[o] += g[o] }
            }
            row += count
        }
        for k in 0..<width {
            for o in 0..<cout { weightGradient[k * cout + o] += accumulator[o * width + k] }
        }
    }

    // MARK: - Tiles

    /// Fills the im2col matrix of rows `firstRow ..< firstRow + rowCount`: voxel u's row holds, for each tap t in
    /// `[kx][ky][kz]` order and each source in order, that source's channels at `u + direction · d(t)`, zero outside.
    func gatherNeighbourhoods(_ sources: [ActivationSource], direction: Int, firstRow: Int, rowCount: Int,
                              into columns: UnsafeMutablePointer<Float>) {
        let ex = plan.extent.x, ey = plan.extent.y, ez = plan.extent.z
        let channels = sources.reduce(0) { $0 + $1.channels }
        let width = ConvolutionPlan.taps * channels
        for r in 0..<rowCount {
            let row = firstRow + r
            let sample = row / (ex * ey), x = (row / ey) % ex, y = row % ey
            let rowColumns = columns + r * ez * width
            for t in 0..<ConvolutionPlan.taps {
                let dx = direction * (t / 9 - 1), dy = direction * ((t / 3) % 3 - 1), dz = direction * (t % 3 - 1)
                let xs = x + dx, ys = y + dy
                let inside = xs >= 0 && xs < ex && ys >= 0 && ys < ey
                // Output voxels z in lo..<hi read input z + dz; the (at most one) voxel at each end reads padding.
                let lo = max(0, -dz), hi = min(ez, ez - dz)
                var column = t * channels
                for source in sources {
                    let c = source.channels
                    if inside {
                        for z in 0..<lo { (rowColumns + z * width + column).update(repeating: 0, count: c) }
                        for z in hi..<ez { (rowColumns + z * width + column).update(repeating: 0, count: c) }
                        source.readVoxels(sample: sample, voxel: (xs * ey + ys) * ez + lo + dz, voxelCount: hi - lo,
                                          into: rowColumns + lo * width + column, destinationStride: width)
                    } else {
                        for z in 0..<ez { (rowColumns + z * width + column).update(repeating: 0, count: c) }
                    }
                    column += c
                }
            }
        }
    }

    /// `[channels × voxels]` → `[voxels × channels]`, adding the bias when given.
    func transpose(_ product: UnsafePointer<Float>, channels: Int, voxels: Int, bias: UnsafePointer<Float>?,
                   into tile: UnsafeMutablePointer<Float>) {
        // Blocks of 64 voxels keep both sides' cache lines live.
        var start = 0
        while start < voxels {
            let end = min(start + 64, voxels)
            for c in 0..<channels {
                let b = bias?[c] ?? 0, from = product + c * voxels
                for v in start..<end { tile[v * channels + c] = from[v] + b }
            }
            start = end
        }
    }

    /// Writes a `[voxels × channels]` fp32 tile to the destinations, splitting channels in order.
    func store(_ tile: UnsafeMutablePointer<Float>, channels: Int, firstRow: Int, rowCount: Int,
               into destinations: [ActivationTensor], accumulate: Bool) {
        let voxels = rowCount * plan.extent.z, firstVoxel = firstRow * plan.extent.z
        if destinations.count == 1 {
            let d = destinations[0]
            if accumulate {
                d.add(tile, at: firstVoxel * channels, count: voxels * channels)
            } else {
                d.write(tile, at: firstVoxel * channels, count: voxels * channels)
            }
            return
        }
        var column = 0
        for d in destinations {
            let c = d.channels
            for v in 0..<voxels {
                if accumulate {
                    d.add(tile + v * channels + column, at: (firstVoxel + v) * c, count: c)
                } else {
                    d.write(tile + v * channels + column, at: (firstVoxel + v) * c, count: c)
                }
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
    public static func fromTorch(_ torch: [Float], inputChannels cin: Int, outputChannels cout: Int, taps: Int = 27) -> [Float] {
        precondition(torch.count == cout * cin * taps)
        var out = [Float](repeating: 0, count: torch.count)
        for co in 0..<cout { for ci in 0..<cin { for t in 0..<taps { out[(t * cin + ci) * cout + co] = torch[(co * cin + ci) * taps + t] } } }
        return out
    }

    public static func toTorch(_ weights: [Float], inputChannels cin: Int, outputChannels cout: Int, taps: Int = 27) -> [Float] {
        precondition(weights.count == cout * cin * taps)
        var out = [Float](repeating: 0, count: weights.count)
        for co in 0..<cout { for ci in 0..<cin { for t in 0..<taps { out[(co * cin + ci) * taps + t] = weights[(t * cin + ci) * cout + co] } } }
        return out
    }
}
