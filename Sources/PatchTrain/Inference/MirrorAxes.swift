/// Axes a window is mirrored along, for test-time augmentation.
struct MirrorAxes: OptionSet, Hashable, Sendable {
    let rawValue: Int
    init(rawValue: Int) { self.rawValue = rawValue }

    static let x = MirrorAxes(rawValue: 1)
    static let y = MirrorAxes(rawValue: 2)
    static let z = MirrorAxes(rawValue: 4)

    /// The eight combinations, the identity first.
    static let allCombinations: [MirrorAxes] = (0..<8).map { MirrorAxes(rawValue: $0) }

    func contains(axis: Int) -> Bool { rawValue & (1 << axis) != 0 }
}
