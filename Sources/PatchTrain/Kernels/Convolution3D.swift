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
        let cin = plan.inputChannels, cout = plan.outputChannels, width = ConvolutionPlan.planeTaps * cin
        let floats = workspace.bindMemory(to: Float.self, capacity: plan.workspaceFloats)
        // Per z tap kz, the in-plane weights as one [9·cin × cout] block: byDepth[kz][kx·3+ky][ci][co].
        let byDepth = floats
        for plane in 0..<9 {
            for kz in 0..<3 {
                (byDepth + (kz * 9 + plane) * cin * cout).update(from: weights + ((plane * 3 + kz) * cin) * cout,
                                                                  count: cin * cout)
            }
        }
        let tileRows = plan.inputRowsPerTile, padded = plan.paddedVoxels(rowsPerTile: tileRows)
        let columns = byDepth + plan.weightCount
        let product = columns + padded * width
        let tile = product + padded * cout
        var row = 0
        while row < plan.rows {
            let count = min(tileRows, plan.rows - row), n = count * (plan.extent.z + 2) - 2
            gatherPlaneNeighbourhoods(sources, direction: 1, firstRow: row, rowCount: count, into: columns)
            // Channel-major product [cout × n] = Σ_kz W_kzᵀ · (columns shifted by kz voxels)ᵀ. OpenBLAS runs this
            // shape (few rows, many columns) about 1.5× faster than [n × cout] when cout is small.
            for kz in 0..<3 {
                Matrix.multiply(m: cout, n: n, k: width, a: byDepth + kz * width * cout, lda: cout, transposeA: true,
                                b: columns + kz * width, ldb: width, transposeB: true, c: product, ldc: n,
                                beta: kz == 0 ? 0 : 1)
            }
            transpose(product, columns: n, channels: cout, rowCount: count, bias: bias, into: tile)
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
        let cin = plan.inputChannels, cout = plan.outputChannels, width = ConvolutionPlan.planeTaps * cout
        let floats = workspace.bindMemory(to: Float.self, capacity: plan.workspaceFloats)
        // dX[u, ci] = Σ_t Σ_co dY[u − d(t), co] · W[t, ci, co]: an im2col of dY with mirrored offsets against the
        // weights rearranged per z tap as [ci][kx·3+ky][co].
        let rearranged = floats
        for plane in 0..<9 {
            for kz in 0..<3 {
                for ci in 0..<cin {
                    (rearranged + ((kz * cin + ci) * 9 + plane) * cout).update(
                        from: weights + ((plane * 3 + kz) * cin + ci) * cout, count: cout)
                }
            }
        }
        let tileRows = plan.gradientRowsPerTile, padded = plan.paddedVoxels(rowsPerTile: tileRows)
        let columns = rearranged + plan.weightCount
        let product = columns + padded * width
        let tile = product + padded * cin
        let source = [ActivationSource(outputGradient)]
        var row = 0
        while row < plan.rows {
            let count = min(tileRows, plan.rows - row), n = count * (plan.extent.z + 2) - 2
            gatherPlaneNeighbourhoods(source, direction: -1, firstRow: row, rowCount: count, into: columns)
            // The z tap kz reads dY at z − (kz − 1): the columns shifted by 2 − kz voxels.
            for kz in 0..<3 {
                Matrix.multiply(m: cin, n: n, k: width, a: rearranged + kz * cin * width, lda: width,
                                b: columns + (2 - kz) * width, ldb: width, transposeB: true, c: product, ldc: n,
                                beta: kz == 0 ? 0 : 1)
            }
            transpose(product, columns: n, channels: cin, rowCount: count, bias: nil, into: tile)
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
        let cin = plan.inputChannels, cout = plan.outputChannels, width = ConvolutionPlan.planeTaps * cin
        let ez = plan.extent.z
        let floats = workspace.bindMemory(to: Float.self, capacity: plan.workspaceFloats)
        // Per z tap, dW_kzᵀ [cout × 9·cin] accumulates over tiles (the [cout × …] shape is the faster one, as in
        // forward) and is added, rearranged, to the caller's gradient once at the end.
        let accumulator = floats
        let tileRows = plan.inputRowsPerTile, padded = plan.paddedVoxels(rowsPerTile: tileRows)
        let columns = accumulator + plan.weightCount
        let gradient = columns + padded * width
        var row = 0
        while row < plan.rows {
            let count = min(tileRows, plan.rows - row), n = count * (ez + 2) - 2
            gatherPlaneNeighbourhoods(sources, direction: 1, firstRow: row, rowCount: count, into: columns)
            // dY in the same padded voxel order, zero at the padding so those positions contribute nothing.
            for r in 0..<count {
                let rowGradient = gradient + r * (ez + 2) * cout
                rowGradient.update(repeating: 0, count: cout)
                (rowGradient + (ez + 1) * cout).update(repeating: 0, count: cout)
                outputGradient.read(at: (row + r) * ez * cout, count: ez * cout, into: rowGradient + cout)
                for v in 1...ez {
                    let g = rowGradient + v * cout
                    for o in 0..<cout { biasGradient[o] += g[o] }
                }
            }
            for kz in 0..<3 {
                Matrix.multiply(m: cout, n: width, k: n, a: gradient + cout, lda: cout, transposeA: true,
                                b: columns + kz * width, ldb: width, c: accumulator + kz * cout * width, ldc: width,
                                beta: row == 0 ? 0 : 1)
            }
            row += count
        }
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

    // MARK: - Tiles

    /// Fills the padded 9-tap im2col matrix of rows `firstRow ..< firstRow + rowCount`: padded voxel `zp` of tile
    /// row r (matrix row `r·(z+2) + zp`) holds, for each in-plane tap `(kx, ky)` and each source in order, that
    /// source's channels at `(x + direction·(kx−1), y + direction·(ky−1), zp − 1)`, zero outside the volume.
    func gatherPlaneNeighbourhoods(_ sources: [ActivationSource], direction: Int, firstRow: Int, rowCount: Int,
                                   into columns: UnsafeMutablePointer<Float>) {
        let ex = plan.extent.x, ey = plan.extent.y, ez = plan.extent.z
        let channels = sources.reduce(0) { $0 + $1.channels }
        let width = ConvolutionPlan.planeTaps * channels
        inParallel(rowCount) { r in
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

    /// Runs `body` for rows `0..<rowCount`, split into contiguous halves on two threads when there are at least two
    /// rows. The widening and copying around the GEMMs is memory-bound single-threaded work that would otherwise
    /// leave the second core idle between sgemm calls (it was ~40% of a 16-channel layer's time).
    func inParallel(_ rowCount: Int, _ body: (Int) -> Void) {
        let workers = min(Self.workers, rowCount)
        guard workers > 1 else {
            for r in 0..<rowCount { body(r) }
            return
        }
        // The halves touch disjoint rows of the tile and of the output; the closure only reads shared state.
        withoutActuallyEscaping(body) { escapable in
            let shared = UncheckedSendableClosure(run: escapable)
            DispatchQueue.concurrentPerform(iterations: workers) { part in
                for r in (part * rowCount / workers)..<((part + 1) * rowCount / workers) { shared.run(r) }
            }
        }
    }

    /// Threads for the work around the GEMMs; the executor sets it with OpenBLAS's (one per core).
    nonisolated(unsafe) public static var workers = 2

    /// Channel-major product over padded voxels `[channels × columns]` → channel-last `[voxels × channels]` of the
    /// real voxels (column `r·(z+2) + z` is voxel z of tile row r), adding the bias when given.
    func transpose(_ product: UnsafePointer<Float>, columns: Int, channels: Int, rowCount: Int,
                   bias: UnsafePointer<Float>?, into tile: UnsafeMutablePointer<Float>) {
        let ez = plan.extent.z
        inParallel(rowCount) { r in
            let to = tile + r * ez * channels
            var start = 0
            // Blocks of 64 voxels keep both sides' cache lines live.
            while start < ez {
                let end = min(start + 64, ez)
                for c in 0..<channels {
                    let b = bias?[c] ?? 0, from = product + c * columns + r * (ez + 2)
                    for z in start..<end { to[z * channels + c] = from[z] + b }
                }
                start = end
            }
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

/// A closure handed to worker threads that only ever touch disjoint memory (see `Convolution3D.inParallel`).
struct UncheckedSendableClosure: @unchecked Sendable {
    let run: (Int) -> Void
}
