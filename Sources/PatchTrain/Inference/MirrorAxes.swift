/// Axes a window is mirrored along, for test-time augmentation.
public struct MirrorAxes: OptionSet, Hashable, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let x = MirrorAxes(rawValue: 1)
    public static let y = MirrorAxes(rawValue: 2)
    public static let z = MirrorAxes(rawValue: 4)

    /// The eight combinations, the identity first.
    public static let allCombinations: [MirrorAxes] = (0..<8).map { MirrorAxes(rawValue: $0) }

    public func contains(axis: Int) -> Bool { rawValue & (1 << axis) != 0 }
}
