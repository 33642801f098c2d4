/// 1×1×1 convolution with bias (the output head: last decoder features → class logits); channel-last.
///
/// Voxels are independent, so tiles are plain runs of voxels: `[voxels × Cin] · [Cin × Cout]`. Workers take
/// contiguous shares of the voxels with their own tiles (`forEachWorkerShare`): with a few output channels the
/// reads and writes cost more than the arithmetic, and they run on every core this way.
/// Weights are fp32 `[ci][co]` (PyTorch's `Conv3d.weight` `(co, ci, 1, 1, 1)` transposed).
struct PointwiseConvolution3D: Sendable {
    let batch: Int
    let extent: Extent3
    let inputChannels: Int
    let outputChannels: Int
    let voxelsPerTile: Int
    let workers: Int

    init(batch: Int, extent: Extent3, inputChannels: Int, outputChannels: Int,
         tileFloats: Int = ConvolutionPlan.defaultTileFloats, workers: Int = 2) {
        self.batch = batch
        self.extent = extent
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.workers = max(1, min(workers, batch * extent.volume))
        // Tiles stay within one sample so that a per-sample transform (InstanceNorm) applies to the whole tile.
        voxelsPerTile = min(extent.volume, max(1, tileFloats / (inputChannels + outputChannels)))
    }

    var weightCount: Int { inputChannels * outputChannels }
    /// Per worker an input-side and an output-side tile and a weight- and bias-gradient accumulator, fp32.
    var workspaceFloats: Int { workers * workerFloats }
    private var workerFloats: Int { voxelsPerTile * (inputChannels + outputChannels) + weightCount + outputChannels }

    static func workspaceBytes(batch: Int, extent: Extent3, inputChannels: Int, outputChannels: Int,
                               tileFloats: Int = ConvolutionPlan.defaultTileFloats, workers: Int = 2) -> Int {
        PointwiseConvolution3D(batch: batch, extent: extent, inputChannels: inputChannels,
                               outputChannels: outputChannels, tileFloats: tileFloats, workers: workers)
            .workspaceFloats * 4
    }

    func forward(source: ActivationSource, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                        output: ActivationTensor, workspace: UnsafeMutableRawPointer) {
        check(source.tensor, inputChannels)
        check(output, outputChannels)
        if isDirect {
            forEachTile(workspace) { sample, voxel, count, inputs, outputs, _ in
                source.readVoxels(sample: sample, voxel: voxel, voxelCount: count, into: inputs, destinationStride: inputChannels)
                directForward(inputs: inputs, count: count, weights: weights, bias: bias, outputs: outputs)
                output.write(outputs, at: (sample * extent.volume + voxel) * outputChannels, count: count * outputChannels)
            }
            return
        }
        forEachTile(workspace) { sample, voxel, count, inputs, outputs, _ in
            source.readVoxels(sample: sample, voxel: voxel, voxelCount: count, into: inputs, destinationStride: inputChannels)
            Matrix.multiply(m: count, n: outputChannels, k: inputChannels, a: inputs, lda: inputChannels,
                            b: weights, ldb: outputChannels, c: outputs, ldc: outputChannels)
            ChannelVectors.addBias(bias, to: outputs, rows: count, channels: outputChannels)
            output.write(outputs, at: (sample * extent.volume + voxel) * outputChannels, count: count * outputChannels)
        }
    }

    func backwardInput(outputGradient: ActivationTensor, weights: UnsafePointer<Float>,
                              inputGradient: ActivationTensor, accumulate: Bool = false,
                              workspace: UnsafeMutableRawPointer) {
        check(outputGradient, outputChannels)
        check(inputGradient, inputChannels)
        if isDirect {
            withTransposedWeights(weights) { w in
                forEachTile(workspace) { sample, voxel, count, inputs, outputs, _ in
                    let first = sample * extent.volume + voxel
                    outputGradient.read(at: first * outputChannels, count: count * outputChannels, into: outputs)
                    directInputGradient(gradients: outputs, count: count, transposed: w, inputs: inputs)
                    inputGradient.store(inputs, at: first * inputChannels, count: count * inputChannels, accumulate: accumulate)
                }
            }
            return
        }
        forEachTile(workspace) { sample, voxel, count, inputs, outputs, _ in
            let first = sample * extent.volume + voxel
            outputGradient.read(at: first * outputChannels, count: count * outputChannels, into: outputs)
            Matrix.multiply(m: count, n: inputChannels, k: outputChannels, a: outputs, lda: outputChannels,
                            b: weights, ldb: outputChannels, transposeB: true, c: inputs, ldc: inputChannels)
            inputGradient.store(inputs, at: first * inputChannels, count: count * inputChannels, accumulate: accumulate)
        }
    }

    /// Adds the weight (`[ci][co]`) and bias gradients.
    func backwardWeights(source: ActivationSource, outputGradient: ActivationTensor,
                                weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                                workspace: UnsafeMutableRawPointer) {
        check(source.tensor, inputChannels)
        check(outputGradient, outputChannels)
        // Each worker sums into its own accumulators, added to the caller's gradients once at the end.
        forEachTile(workspace, zeroingAccumulators: true) { sample, voxel, count, inputs, outputs, accumulator in
            source.readVoxels(sample: sample, voxel: voxel, voxelCount: count, into: inputs, destinationStride: inputChannels)
            outputGradient.read(at: (sample * extent.volume + voxel) * outputChannels, count: count * outputChannels,
                                into: outputs)
            let biasSums = accumulator + weightCount
            if isDirect {
                directWeightGradient(inputs: inputs, gradients: outputs, count: count, weightGradient: accumulator,
                                     biasGradient: biasSums)
                return
            }
            Matrix.multiply(m: inputChannels, n: outputChannels, k: count, a: inputs, lda: inputChannels,
                            transposeA: true, b: outputs, ldb: outputChannels, c: accumulator, ldc: outputChannels,
                            beta: 1)
            ChannelVectors.sums(outputs, rows: count, channels: outputChannels) { o, sum in biasSums[o] += sum }
        }
        let floats = workspace.bindMemory(to: Float.self, capacity: workspaceFloats)
        for worker in 0..<workers {
            let accumulator = floats + worker * workerFloats + voxelsPerTile * (inputChannels + outputChannels)
            for i in 0..<weightCount { weightGradient[i] += accumulator[i] }
            for o in 0..<outputChannels { biasGradient[o] += accumulator[weightCount + o] }
        }
    }

    /// Calls `body(sample, firstVoxel, voxelCount, inputSide, outputSide, accumulator)` for every tile, on the
    /// workers, each with its slice of the workspace: the `[voxels × Cin]` and `[voxels × Cout]` tiles and a weight-
    /// and bias-gradient accumulator (`weightCount + outputChannels` floats, zeroed if asked) that lasts across its
    /// tiles. A worker's share of the batch's voxels is cut into tiles at sample boundaries.
    private func forEachTile(_ workspace: UnsafeMutableRawPointer, zeroingAccumulators: Bool = false,
                             _ body: (Int, Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                                      UnsafeMutablePointer<Float>) -> Void) {
        let floats = workspace.bindMemory(to: Float.self, capacity: workspaceFloats)
        let volume = extent.volume
        forEachWorkerShare(workers: workers, of: batch * volume) { worker, first, end in
            let inputSide = floats + worker * workerFloats
            let outputSide = inputSide + voxelsPerTile * inputChannels
            let accumulator = outputSide + voxelsPerTile * outputChannels
            if zeroingAccumulators { accumulator.update(repeating: 0, count: weightCount + outputChannels) }
            var at = first
            while at < end {
                let sample = at / volume, voxel = at % volume
                let count = min(voxelsPerTile, end - at, volume - voxel)
                body(sample, voxel, count, inputSide, outputSide, accumulator)
                at += count
            }
        }
    }

    private func check(_ t: ActivationTensor, _ channels: Int) {
        precondition(t.batch == batch && t.extent == extent && t.channels == channels, "pointwise convolution shape mismatch")
    }
}
