/// Which patch to read: a case and the voxel at the patch's `(0, 0, 0)`. Drawing is separate from reading so
/// that the sequence of draws can be inspected (and tested) without touching any volume.
public struct PatchDraw: Sendable, Hashable, Codable, CustomStringConvertible {
    public var caseIndex: Int
    public var origin: Extent3
    public var centredOnForeground: Bool

    public init(caseIndex: Int, origin: Extent3, centredOnForeground: Bool) {
        self.caseIndex = caseIndex
        self.origin = origin
        self.centredOnForeground = centredOnForeground
    }

    public var description: String {
        "case \(caseIndex) at (\(origin.x), \(origin.y), \(origin.z))\(centredOnForeground ? " foreground" : "")"
    }
}

/// Everything a resumed run needs to continue the sampler's sequence exactly: the position generator, the draw
/// count, and the augmentation generator (nil when the sampler does not augment).
public struct PatchSamplerState: Sendable, Equatable, Codable {
    public var generator: SeededGenerator
    /// Patches drawn so far.
    public var drawn: Int
    public var augmentation: SeededGenerator?

    public init(generator: SeededGenerator, drawn: Int, augmentation: SeededGenerator? = nil) {
        self.generator = generator
        self.drawn = drawn
        self.augmentation = augmentation
    }
}
