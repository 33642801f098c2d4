/// 2×2×2 transposed convolution with stride 2 (the decoder's upsampling), with bias; channel-last.
///
/// Each input voxel v feeds exactly the eight output voxels `2v + (a, b, c)`, so the layer is one GEMM per tile of
/// input z-rows: `[voxels × Cin] · [Cin × 8·Cout]`, whose result rows are scattered as four output z-row pieces.
/// Workers take contiguous shares of the rows with their own tiles (`forEachWorkerShare`), so the fp16 reads and
/// scatters, which cost as much as the GEMM here, run on every core too.
/// Weights are fp32 `[ci][a][b][c][co]` (`TransposedConvolutionWeights` converts PyTorch's `(ci, co, a, b, c)`).
struct TransposedConvolution3D: Sendable {
    let batch: Int
    let inputExtent: Extent3
    let inputChannels: Int
    let outputChannels: Int
    let rowsPerTile: Int
    let workers: Int

    init(batch: Int, inputExtent: Extent3, inputChannels: Int, outputChannels: Int,
         tileFloats: Int = ConvolutionPlan.defaultTileFloats, workers: Int = 2) {
        self.batch = batch
        self.inputExtent = inputExtent
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        let rows = batch * inputExtent.x * inputExtent.y
        self.workers = max(1, min(workers, rows))
        rowsPerTile = min(rows, max(1, tileFloats / (inputExtent.z * (inputChannels + 8 * outputChannels))))
    }

    var outputExtent: Extent3 { Extent3(2 * inputExtent.x, 2 * inputExtent.y, 2 * inputExtent.z) }
    var weightCount: Int { inputChannels * 8 * outputChannels }
    var rows: Int { batch * inputExtent.x * inputExtent.y }
    /// Floating-point operations of one pass (forward, input gradient or weight gradient).
    var flops: Double { 2 * Double(rows * inputExtent.z) * Double(weightCount) }

    /// Per worker an input tile `[voxels × Cin]`, an output-side tile `[voxels × 8·Cout]` and a weight- and
    /// bias-gradient accumulator, fp32.
    var workspaceFloats: Int { workers * workerFloats }
    private var tileFloats: Int { rowsPerTile * inputExtent.z * (inputChannels + 8 * outputChannels) }
    private var workerFloats: Int { tileFloats + weightCount + outputChannels }

    static func workspaceBytes(batch: Int, inputExtent: Extent3, inputChannels: Int, outputChannels: Int,
                               tileFloats: Int = ConvolutionPlan.defaultTileFloats, workers: Int = 2) -> Int {
        TransposedConvolution3D(batch: batch, inputExtent: inputExtent, inputChannels: inputChannels,
                                outputChannels: outputChannels, tileFloats: tileFloats, workers: workers)
            .workspaceFloats * 4
    }

    func forward(source: ActivationSource, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                        output: ActivationTensor, workspace: UnsafeMutableRawPointer) {
        check(source.tensor, inputExtent, inputChannels)
        check(output, outputExtent, outputChannels)
        let wide = 8 * outputChannels
        forEachTile(workspace) { row, count, inputs, expanded, _ in
            let voxels = count * inputExtent.z
            readTile(source, firstRow: row, rowCount: count, into: inputs)
            Matrix.multiply(m: voxels, n: wide, k: inputChannels, a: inputs, lda: inputChannels,
                            b: weights, ldb: wide, c: expanded, ldc: wide)
            ChannelVectors.addBias(bias, to: expanded, rows: 8 * voxels, channels: outputChannels)
            exchange(expanded, firstRow: row, rowCount: count, with: output, reading: false)
        }
    }

    /// Gradient with respect to the input (the source's activation), written or added.
    func backwardInput(outputGradient: ActivationTensor, weights: UnsafePointer<Float>,
                              inputGradient: ActivationTensor, accumulate: Bool = false,
                              workspace: UnsafeMutableRawPointer) {
        check(outputGradient, outputExtent, outputChannels)
        check(inputGradient, inputExtent, inputChannels)
        let wide = 8 * outputChannels
        forEachTile(workspace) { row, count, gradients, expanded, _ in
            let voxels = count * inputExtent.z
            exchange(expanded, firstRow: row, rowCount: count, with: outputGradient, reading: true)
            Matrix.multiply(m: voxels, n: inputChannels, k: wide, a: expanded, lda: wide,
                            b: weights, ldb: wide, transposeB: true, c: gradients, ldc: inputChannels)
            let offset = row * inputExtent.z * inputChannels
            inputGradient.store(gradients, at: offset, count: voxels * inputChannels, accumulate: accumulate)
        }
    }

    /// Adds the weight and bias gradients to `weightGradient` (`[ci][a][b][c][co]`) and `biasGradient`.
    func backwardWeights(source: ActivationSource, outputGradient: ActivationTensor,
                                weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                                workspace: UnsafeMutableRawPointer) {
        check(source.tensor, inputExtent, inputChannels)
        check(outputGradient, outputExtent, outputChannels)
        let wide = 8 * outputChannels
        // Each worker sums into its own accumulators (zeroed before its first tile); they are added to the caller's
        // gradients once at the end.
        forEachTile(workspace, zeroingAccumulators: true) { row, count, inputs, expanded, accumulator in
            let voxels = count * inputExtent.z
            readTile(source, firstRow: row, rowCount: count, into: inputs)
            exchange(expanded, firstRow: row, rowCount: count, with: outputGradient, reading: true)
            Matrix.multiply(m: inputChannels, n: wide, k: voxels, a: inputs, lda: inputChannels, transposeA: true,
                            b: expanded, ldb: wide, c: accumulator, ldc: wide, beta: 1)
            let biasSums = accumulator + weightCount
            ChannelVectors.sums(expanded, rows: 8 * voxels, channels: outputChannels) { o, sum in biasSums[o] += sum }
        }
        let floats = workspace.bindMemory(to: Float.self, capacity: workspaceFloats)
        for worker in 0..<workers {
            let accumulator = floats + worker * workerFloats + tileFloats
            for i in 0..<weightCount { weightGradient[i] += accumulator[i] }
            for o in 0..<outputChannels { biasGradient[o] += accumulator[weightCount + o] }
        }
    }

    // MARK: - Tiles

    /// Calls `body(firstRow, rowCount, inputSide, outputSide, accumulator)` for every tile, on the workers, each with
    /// its slice of the workspace: the `[voxels × Cin]` and `[voxels × 8·Cout]` tiles and a weight- and bias-gradient
    /// accumulator (`weightCount + outputChannels` floats, zeroed if asked) that lasts across its tiles.
    private func forEachTile(_ workspace: UnsafeMutableRawPointer, zeroingAccumulators: Bool = false,
                             _ body: (Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                                      UnsafeMutablePointer<Float>) -> Void) {
        let floats = workspace.bindMemory(to: Float.self, capacity: workspaceFloats)
        forEachWorkerShare(workers: workers, of: rows) { worker, first, end in
            let inputSide = floats + worker * workerFloats
            let outputSide = inputSide + rowsPerTile * inputExtent.z * inputChannels
            let accumulator = inputSide + tileFloats
            if zeroingAccumulators { accumulator.update(repeating: 0, count: weightCount + outputChannels) }
            forEachRun(of: end - first, length: rowsPerTile) { offset, count in
                body(first + offset, count, inputSide, outputSide, accumulator)
            }
        }
    }

    private func readTile(_ source: ActivationSource, firstRow: Int, rowCount: Int, into tile: UnsafeMutablePointer<Float>) {
        let perSample = inputExtent.x * inputExtent.y
        for r in 0..<rowCount {
            let row = firstRow + r
            source.readVoxels(sample: row / perSample, voxel: (row % perSample) * inputExtent.z,
                              voxelCount: inputExtent.z, into: tile + r * inputExtent.z * inputChannels,
                              destinationStride: inputChannels)
        }
    }

    /// Moves data between the `[voxels × 8·Cout]` tile and the output-sized tensor: input voxel `(x, y, z)`'s taps
    /// `(a, b, 0...1)` are output voxels `(2x+a, 2y+b, 2z...2z+1)`, i.e. `2·Cout` contiguous values.
    private func exchange(_ tile: UnsafeMutablePointer<Float>, firstRow: Int, rowCount: Int,
                          with tensor: ActivationTensor, reading: Bool) {
        let ie = inputExtent, oe = outputExtent, pair = 2 * outputChannels, wide = 8 * outputChannels
        for r in 0..<rowCount {
            let row = firstRow + r
            let sample = row / (ie.x * ie.y), x = (row / ie.y) % ie.x, y = row % ie.y
            for a in 0..<2 {
                for b in 0..<2 {
                    let outputRow = (sample * oe.x + 2 * x + a) * oe.y + 2 * y + b
                    for z in 0..<ie.z {
                        let p = tile + (r * ie.z + z) * wide + (a * 2 + b) * pair
                        let offset = (outputRow * oe.z + 2 * z) * outputChannels
                        if reading { tensor.read(at: offset, count: pair, into: p) } else { tensor.write(p, at: offset, count: pair) }
                    }
                }
            }
        }
    }

    private func check(_ t: ActivationTensor, _ extent: Extent3, _ channels: Int) {
        precondition(t.batch == batch && t.extent == extent && t.channels == channels, "transposed convolution shape mismatch")
    }
}

/// Conversion between PyTorch's `ConvTranspose3d.weight` `(ci, co, a, b, c)` and patchtrain's `[ci][a][b][c][co]`.
enum TransposedConvolutionWeights {
    /// PyTorch `(ci, co, t)` → kernel `[ci][t][co]`, into caller-owned memory.
    static func fromTorch(_ torch: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, inputChannels cin: Int, outputChannels cout: Int) {
        for ci in 0..<cin { for co in 0..<cout { for t in 0..<8 { out[(ci * 8 + t) * cout + co] = torch[(ci * cout + co) * 8 + t] } } }
    }

    /// Kernel `[ci][t][co]` → PyTorch `(ci, co, t)`, into caller-owned memory.
    static func toTorch(_ weights: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, inputChannels cin: Int, outputChannels cout: Int) {
        for ci in 0..<cin { for co in 0..<cout { for t in 0..<8 { out[(ci * cout + co) * 8 + t] = weights[(ci * 8 + t) * cout + co] } } }
    }

    static func fromTorch(_ torch: [Float], inputChannels cin: Int, outputChannels cout: Int) -> [Float] {
        precondition(torch.count == cin * cout * 8)
        return [Float](unsafeUninitializedCapacity: torch.count) { out, count in
            fromTorch(torch, into: out.baseAddress!, inputChannels: cin, outputChannels: cout)
            count = torch.count
        }
    }

    static func toTorch(_ weights: [Float], inputChannels cin: Int, outputChannels cout: Int) -> [Float] {
        precondition(weights.count == cin * cout * 8)
        return [Float](unsafeUninitializedCapacity: weights.count) { out, count in
            toTorch(weights, into: out.baseAddress!, inputChannels: cin, outputChannels: cout)
            count = weights.count
        }
    }
}
