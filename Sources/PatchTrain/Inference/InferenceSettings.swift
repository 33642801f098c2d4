/// How an inference run covers and writes its volumes: everything but the model, the inputs and the budget.
public struct InferenceSettings: Sendable {
    /// The window; nil: the cheapest cover that fits the budget.
    public var window: Extent3?
    public var overlap: Double
    public var blend: BlendMode
    public var windowsPerBatch: Int
    /// Test-time augmentation: every window is also inferred under its 7 other mirrorings.
    public var mirroring: Bool
    public var probabilities: Bool
    public var format: PredictionWriter.LabelFormat
    /// A folder for `CASE.png` previews (three slices with the predicted labels over the image); nil writes none.
    public var previewFolder: String?

    public init(window: Extent3? = nil, overlap: Double = 0.5, blend: BlendMode = .gaussian, windowsPerBatch: Int = 1,
                mirroring: Bool = false, probabilities: Bool = false, format: PredictionWriter.LabelFormat = .npy,
                previewFolder: String? = nil) {
        self.window = window
        self.overlap = overlap
        self.blend = blend
        self.windowsPerBatch = windowsPerBatch
        self.mirroring = mirroring
        self.probabilities = probabilities
        self.format = format
        self.previewFolder = previewFolder
    }
}

/// What inferring one volume wrote and took.
public struct InferredCase: Encodable, Sendable {
    public let input: String
    public let labels: String
    public let probabilities: String?
    /// The volume's extent, `XxYxZ`.
    public let shape: String
    /// Network passes over its windows (8 per window with mirroring).
    public let passes: Int
    public let seconds: Double
}
