// The decoder's 2×2×2 stride-2 transposed convolution with its tensors and parameters bound, forward and backward.

struct TransposedConvolutionForward {
    let kernel: TransposedConvolution3D
    let source: BoundSource
    let output: ActivationTensor
    let weights: LayerWeights
    let workspace: UnsafeMutableRawPointer

    init(_ op: OperationSpec, source: NormalizedSource, output: Int, parameters: String, binder b: OperationBinder) {
        self.source = b.source(source)
        self.output = b.tensor(output)
        kernel = TransposedConvolution3D(batch: b.batch, inputExtent: self.source.source.tensor.extent,
                                         inputChannels: self.source.source.channels, outputChannels: self.output.channels)
        weights = b.weights(parameters)
        workspace = b.workspace(op)
    }

    var bytes: Double { Double(source.source.tensor.byteCount + output.byteCount) }

    func run(image: UnsafePointer<Float16>) {
        kernel.forward(source: source.resolved(image: image), weights: weights.weight, bias: weights.bias, output: output,
                       workspace: workspace)
    }
}

struct TransposedConvolutionBackward {
    let kernel: TransposedConvolution3D
    let source: BoundSource
    let outputGradient: ActivationTensor
    let sourceGradient: ActivationTensor
    let weight: UnsafeMutablePointer<Float>
    let gradients: LayerWeights
    let workspace: UnsafeMutableRawPointer

    init(_ op: OperationSpec, source: NormalizedSource, outputGradient: Int, sourceGradient: Int, parameters: String,
         binder b: OperationBinder) {
        self.source = b.source(source)
        self.outputGradient = b.tensor(outputGradient)
        self.sourceGradient = b.tensor(sourceGradient)
        kernel = TransposedConvolution3D(batch: b.batch, inputExtent: self.source.source.tensor.extent,
                                         inputChannels: self.source.source.channels, outputChannels: self.outputGradient.channels)
        weight = b.value("\(parameters).weight")
        gradients = b.gradients(parameters)
        workspace = b.workspace(op)
    }

    /// Bytes of both passes: the weight gradient reads the input and the output gradient, the input gradient
    /// reads the output gradient again and writes the input's.
    var bytes: Double { Double(2 * source.source.tensor.byteCount + 2 * outputGradient.byteCount) }

    func run(image: UnsafePointer<Float16>) {
        let input = source.resolved(image: image)
        kernel.backwardWeights(source: input, outputGradient: outputGradient, weightGradient: gradients.weight,
                               biasGradient: gradients.bias, workspace: workspace)
        kernel.backwardInput(outputGradient: outputGradient, weights: weight, inputGradient: sourceGradient, workspace: workspace)
    }
}
