/// The fp32 scratch each operation of the layer graph needs, from the kernels' own formulas: the planner
/// counts exactly what the executor hands them.
public enum KernelWorkspace {
    public static func bytes(_ kind: OperationKind, _ graph: LayerGraph) -> Int {
        let tensors = graph.tensors
        let batch = graph.microBatch
        func extent(_ id: Int) -> Extent3 { let s = tensors[id].shape; return Extent3(s[1], s[2], s[3]) }
        func channels(_ id: Int) -> Int { tensors[id].shape[4] }
        func normalization(_ output: Int, _ statistics: Int?) -> Int {
            guard statistics != nil else { return 0 }
            return Normalization.workspaceBytes(kind: graph.configuration.normalization, batch: batch,
                                                extent: extent(output), channels: channels(output))
        }
        switch kind {
        case .convolution(let kernel, let sources, let output, let statistics, _, _),
             .convolutionBackward(let kernel, let sources, let output, let statistics, _, _, _, _):
            let cin = sources.reduce(0) { $0 + channels($1.tensor) }
            let convolution = kernel == 3
                ? ConvolutionPlan.workspaceBytes(batch: batch, extent: extent(output), inputChannels: cin, outputChannels: channels(output))
                : PointwiseConvolution3D.workspaceBytes(batch: batch, extent: extent(output), inputChannels: cin, outputChannels: channels(output))
            return max(convolution, normalization(output, statistics))
        case .maxPool(let source, _), .maxPoolBackward(let source, _, _, _):
            return MaxPool3D.workspaceBytes(inputExtent: extent(source.tensor), channels: channels(source.tensor))
        case .transposedConvolution(let source, let output, _), .transposedConvolutionBackward(let source, let output, _, _):
            return TransposedConvolution3D.workspaceBytes(batch: batch, inputExtent: extent(source.tensor),
                                                          inputChannels: channels(source.tensor), outputChannels: channels(output))
        case .softmaxLoss(let logits, _), .softmax(let logits):
            return SoftmaxLoss.workspaceBytes(batch: batch, extent: extent(logits), classes: channels(logits))
        }
    }
}
