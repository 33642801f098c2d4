/// One tensor of a training step, as both the planner and the executor see it.
public struct TensorSpec: Hashable, Codable, Sendable {
    /// Index in `LayerGraph.tensors`.
    public let id: Int
    /// Stable name, e.g. `enc0.conv1` (a convolution's raw output) or `grad.enc0.conv1`.
    public let name: String
    /// `(batch, x, y, z, c)` for activations and gradients; `[count]` for statistics and workspaces.
    public let shape: [Int]
    public let elementType: ElementType
    public let kind: TensorKind
    /// Network level (0 = full resolution); the bottleneck is `depth`; nil for level-free tensors.
    public let level: Int?

    public var elements: Int { shape.reduce(1, *) }
    public var bytes: Int { elements * elementType.byteSize }
}

public enum TensorKind: String, Hashable, Codable, Sendable {
    /// Filled by the data pipeline (image and label patches); lives in the prefetcher's slots, not the arena.
    case input
    /// A forward result (fp16), kept until the backward pass has used it.
    case activation
    /// Normalisation statistics of one convolution output (fp32, a few values per channel).
    case statistics
    /// The logits, turned in place into probabilities and then into their own gradient (fp32).
    case logits
    /// A gradient with respect to an activation (fp32: gradients are never stored in fp16).
    case gradient
    /// Scratch space of one operation (fp32 tiles widened from fp16), alive only while it runs.
    case workspace
}
