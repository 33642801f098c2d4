// 2×2×2 max pooling with its tensors bound, forward and backward.

struct MaxPoolForward {
    let kernel: MaxPool3D
    let source: BoundSource
    let output: ActivationTensor
    let workspace: UnsafeMutableRawPointer

    init(_ op: OperationSpec, source: NormalizedSource, output: Int, binder b: OperationBinder) {
        self.source = b.source(source)
        self.output = b.tensor(output)
        kernel = MaxPool3D(batch: b.batch, inputExtent: self.source.source.tensor.extent, channels: self.source.source.channels)
        workspace = b.workspace(op)
    }

    /// Bytes of the input read and the output written.
    var bytes: Double { Double(source.source.tensor.byteCount + output.byteCount) }

    func run(image: UnsafePointer<Float16>) {
        kernel.forward(source: source.resolved(image: image), output: output, workspace: workspace)
    }
}

struct MaxPoolBackward {
    let kernel: MaxPool3D
    let source: BoundSource
    let outputGradient: ActivationTensor
    let sourceGradient: ActivationTensor
    let accumulate: Bool
    let workspace: UnsafeMutableRawPointer

    init(_ op: OperationSpec, source: NormalizedSource, outputGradient: Int, sourceGradient: Int, accumulate: Bool,
         binder b: OperationBinder) {
        self.source = b.source(source)
        self.outputGradient = b.tensor(outputGradient)
        self.sourceGradient = b.tensor(sourceGradient)
        self.accumulate = accumulate
        kernel = MaxPool3D(batch: b.batch, inputExtent: self.source.source.tensor.extent, channels: self.source.source.channels)
        workspace = b.workspace(op)
    }

    /// Bytes of the input and the output gradient read and the input gradient written.
    var bytes: Double { Double(source.source.tensor.byteCount + outputGradient.byteCount + sourceGradient.byteCount) }

    func run(image: UnsafePointer<Float16>) {
        kernel.backward(source: source.resolved(image: image), outputGradient: outputGradient, inputGradient: sourceGradient,
                        accumulate: accumulate, workspace: workspace)
    }
}
