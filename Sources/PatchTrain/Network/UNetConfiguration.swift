/// The shape of the default network: a 3D U-Net with `depth` encoder levels whose filters double from
/// `baseFilters`, a bottleneck of `baseFilters << depth`, decoders mirroring the encoders through
/// 2×2×2 transposed convolutions and skip concatenation, and a 1×1×1 head to `classes` channels.
/// The seed network (the Keras user's) is the default: 1 → 16-32-64-128 → 256 → 4 classes.
public struct UNetConfiguration: Hashable, Codable, Sendable {
    public var inputChannels: Int
    public var classes: Int
    public var baseFilters: Int
    public var depth: Int
    public var normalization: NormalizationKind

    public init(inputChannels: Int = 1, classes: Int = 4, baseFilters: Int = 16, depth: Int = 4, normalization: NormalizationKind = .batch) {
        self.inputChannels = inputChannels
        self.classes = classes
        self.baseFilters = baseFilters
        self.depth = depth
        self.normalization = normalization
    }

    /// Filters of the encoder (and matching decoder) levels, shallowest first.
    public var levelFilters: [Int] { (0..<depth).map { baseFilters << $0 } }
    public var bottleneckFilters: Int { baseFilters << depth }
    /// Patch edges must be multiples of this: one 2× pooling per level.
    public var patchMultiple: Int { 1 << depth }

    /// Whether every edge of `patch` is a positive multiple of `patchMultiple`, as the poolings need.
    public func accepts(patch: Extent3) -> Bool {
        (0..<3).allSatisfy { patch[$0] > 0 && patch[$0] % patchMultiple == 0 }
    }

    /// The one check of a patch or window the user gave: `option` names it in the error (`--patch`, `--window`).
    public func checkPatch(_ patch: Extent3, option: String) throws {
        guard accepts(patch: patch) else {
            throw InputError("\(option) \(patch)", "every edge must be a positive multiple of \(patchMultiple)")
        }
    }
}
