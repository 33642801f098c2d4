/// One operation of a training step, in execution order.
public struct OperationSpec: Hashable, Codable, Sendable {
    public let index: Int
    /// e.g. `enc0.conv1`, `enc0.conv1.backward`, `loss`.
    public let name: String
    public let phase: Phase
    public let kind: OperationKind
    /// Tensor ids read. A `NormalizedSource` in `kind` also reads its statistics.
    public let reads: [Int]
    /// Tensor ids written (an in-place update appears in both lists).
    public let writes: [Int]
    /// The op's scratch tensor, if it needs one.
    public let workspace: Int?
    /// Floating-point operations (multiply and add counted separately).
    public let flops: Double
    /// Network level the op works at, for the per-level table.
    public let level: Int?

    public enum Phase: String, Hashable, Codable, Sendable {
        case forward, loss, backward
    }
}

/// A tensor read by a consumer, optionally through the fused normalisation + ReLU of the convolution that
/// produced it: only the raw convolution output is stored; `relu(normalize(x))` is recomputed on the fly.
public struct NormalizedSource: Hashable, Codable, Sendable {
    public let tensor: Int
    /// The statistics tensor to normalise with, and the normalisation's parameter prefix; nil reads raw.
    public let statistics: Int?
    public let normalizationParameters: String?

    public static func raw(_ tensor: Int) -> NormalizedSource {
        NormalizedSource(tensor: tensor, statistics: nil, normalizationParameters: nil)
    }
}

public enum OperationKind: Hashable, Codable, Sendable {
    /// 3×3×3 (or 1×1×1 for the head) convolution over the channel concatenation of `sources`;
    /// when `statistics` is given, the op also computes the normalisation statistics of its output with the
    /// normalisation parameters `normalization` (e.g. `enc.0.net.1` for the convolution `enc.0.net.0`).
    case convolution(kernel: Int, sources: [NormalizedSource], output: Int, statistics: Int?, parameters: String,
                     normalization: String?)
    /// Turns the gradient with respect to the normalised output (in `outputGradient`) in place into the gradient
    /// with respect to the raw output, adds the parameter gradients, and writes the sources' gradients.
    case convolutionBackward(kernel: Int, sources: [NormalizedSource], output: Int, statistics: Int?, parameters: String,
                             normalization: String?, outputGradient: Int, sourceGradients: [Int?])
    case maxPool(source: NormalizedSource, output: Int)
    /// Adds the pooled gradient into `sourceGradient` (which may already hold the skip connection's share).
    case maxPoolBackward(source: NormalizedSource, outputGradient: Int, sourceGradient: Int, accumulate: Bool)
    case transposedConvolution(source: NormalizedSource, output: Int, parameters: String)
    case transposedConvolutionBackward(source: NormalizedSource, outputGradient: Int, sourceGradient: Int, parameters: String)
    /// Softmax over channels and the loss; leaves the gradient with respect to the logits in `logits`.
    case softmaxLoss(logits: Int, labels: Int)
    /// Softmax over channels, the probabilities written over the logits (inference).
    case softmax(logits: Int)
}
