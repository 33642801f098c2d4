/// An operation of the layer graph with its tensors, parameters and kernel resolved (see `OperationBinder`).
enum BoundOperation {
    case convolution(ConvolutionForward)
    case convolutionBackward(ConvolutionBackward)
    case maxPool(MaxPoolForward)
    case maxPoolBackward(MaxPoolBackward)
    case transposedConvolution(TransposedConvolutionForward)
    case transposedConvolutionBackward(TransposedConvolutionBackward)
    case softmax(BoundSoftmax)
    case softmaxLoss(BoundSoftmax)

    init(_ op: OperationSpec, binder b: OperationBinder, labelTensor: Int?) {
        switch op.kind {
        case .convolution(let kernel, let sources, let output, let statistics, let parameters, let normalization):
            self = .convolution(ConvolutionForward(op, kernel: kernel, sources: sources, output: output, statistics: statistics,
                                                   parameters: parameters, normalization: normalization, binder: b))
        case .convolutionBackward(let kernel, let sources, let output, let statistics, let parameters, let normalization,
                                  let outputGradient, let sourceGradients):
            self = .convolutionBackward(ConvolutionBackward(op, kernel: kernel, sources: sources, output: output, statistics: statistics,
                                                            parameters: parameters, normalization: normalization,
                                                            outputGradient: outputGradient, sourceGradients: sourceGradients, binder: b))
        case .maxPool(let source, let output):
            self = .maxPool(MaxPoolForward(op, source: source, output: output, binder: b))
        case .maxPoolBackward(let source, let outputGradient, let sourceGradient, let accumulate):
            self = .maxPoolBackward(MaxPoolBackward(op, source: source, outputGradient: outputGradient, sourceGradient: sourceGradient,
                                                    accumulate: accumulate, binder: b))
        case .transposedConvolution(let source, let output, let parameters):
            self = .transposedConvolution(TransposedConvolutionForward(op, source: source, output: output, parameters: parameters, binder: b))
        case .transposedConvolutionBackward(let source, let outputGradient, let sourceGradient, let parameters):
            self = .transposedConvolutionBackward(TransposedConvolutionBackward(
                op, source: source, outputGradient: outputGradient, sourceGradient: sourceGradient, parameters: parameters, binder: b))
        case .softmax(let logits):
            self = .softmax(BoundSoftmax(op, logits: logits, binder: b))
        case .softmaxLoss(let logits, let labels):
            precondition(labels == labelTensor, "the loss reads the step's labels")
            self = .softmaxLoss(BoundSoftmax(op, logits: logits, binder: b))
        }
    }
}
