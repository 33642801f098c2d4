/// 1×1×1 convolution with bias (the output head: last decoder features → class logits); channel-last.
///
/// Voxels are independent, so tiles are plain runs of voxels: `[voxels × Cin] · [Cin × Cout]`.
/// Weights are fp32 `[ci][co]` (PyTorch's `Conv3d.weight` `(co, ci, 1, 1, 1)` transposed).
struct PointwiseConvolution3D: Sendable {
    let batch: Int
    let extent: Extent3
    let inputChannels: Int
    let outputChannels: Int
    let voxelsPerTile: Int

    init(batch: Int, extent: Extent3, inputChannels: Int, outputChannels: Int,
                tileFloats: Int = ConvolutionPlan.defaultTileFloats) {
        self.batch = batch
        self.extent = extent
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        // Tiles stay within one sample so that a per-sample transform (InstanceNorm) applies to the whole tile.
        voxelsPerTile = min(extent.volume, max(1, tileFloats / (inputChannels + outputChannels)))
    }

    var weightCount: Int { inputChannels * outputChannels }
    var workspaceFloats: Int { voxelsPerTile * (inputChannels + outputChannels) }

    static func workspaceBytes(batch: Int, extent: Extent3, inputChannels: Int, outputChannels: Int,
                                      tileFloats: Int = ConvolutionPlan.defaultTileFloats) -> Int {
        PointwiseConvolution3D(batch: batch, extent: extent, inputChannels: inputChannels,
                               outputChannels: outputChannels, tileFloats: tileFloats).workspaceFloats * 4
    }

    func forward(source: ActivationSource, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                        output: ActivationTensor, workspace: UnsafeMutableRawPointer) {
        check(source.tensor, inputChannels)
        check(output, outputChannels)
        let (inputs, outputs) = split(workspace)
        if isDirect {
            forEachTile { sample, voxel, count in
                source.readVoxels(sample: sample, voxel: voxel, voxelCount: count, into: inputs, destinationStride: inputChannels)
                directForward(inputs: inputs, count: count, weights: weights, bias: bias, outputs: outputs)
                output.write(outputs, at: (sample * extent.volume + voxel) * outputChannels, count: count * outputChannels)
            }
            return
        }
        forEachTile { sample, voxel, count in
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
        let (inputs, outputs) = split(workspace)
        if isDirect {
            withTransposedWeights(weights) { w in
                forEachTile { sample, voxel, count in
                    let first = sample * extent.volume + voxel
                    outputGradient.read(at: first * outputChannels, count: count * outputChannels, into: outputs)
                    directInputGradient(gradients: outputs, count: count, transposed: w, inputs: inputs)
                    inputGradient.store(inputs, at: first * inputChannels, count: count * inputChannels, accumulate: accumulate)
                }
            }
            return
        }
        forEachTile { sample, voxel, count in
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
        let (inputs, outputs) = split(workspace)
        forEachTile { sample, voxel, count in
            source.readVoxels(sample: sample, voxel: voxel, voxelCount: count, into: inputs, destinationStride: inputChannels)
            outputGradient.read(at: (sample * extent.volume + voxel) * outputChannels, count: count * outputChannels,
                                into: outputs)
            if isDirect {
                directWeightGradient(inputs: inputs, gradients: outputs, count: count, weightGradient: weightGradient,
                                     biasGradient: biasGradient)
                return
            }
            Matrix.multiply(m: inputChannels, n: outputChannels, k: count, a: inputs, lda: inputChannels,
                            transposeA: true, b: outputs, ldb: outputChannels, c: weightGradient, ldc: outputChannels,
                            beta: 1)
            ChannelVectors.sums(outputs, rows: count, channels: outputChannels) { o, sum in biasGradient[o] += sum }
        }
    }

    private func split(_ workspace: UnsafeMutableRawPointer) -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
        let floats = workspace.bindMemory(to: Float.self, capacity: workspaceFloats)
        return (floats, floats + voxelsPerTile * inputChannels)
    }

    private func forEachTile(_ body: (Int, Int, Int) -> Void) {
        for sample in 0..<batch {
            forEachRun(of: extent.volume, length: voxelsPerTile) { voxel, count in body(sample, voxel, count) }
        }
    }

    private func check(_ t: ActivationTensor, _ channels: Int) {
        precondition(t.batch == batch && t.extent == extent && t.channels == channels, "pointwise convolution shape mismatch")
    }
}
