/// Which statistics a fused normalisation + ReLU uses.
public enum NormalizationKind: String, Sendable, Codable, Hashable, CaseIterable {
    /// One mean/variance per channel over batch and space; running averages for inference.
    case batch
    /// One mean/variance per sample and channel over space, in training and inference alike (no running stats).
    case instance
}
