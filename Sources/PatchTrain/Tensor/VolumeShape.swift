/// The shape of one volume in patchtrain's channel-last layout `(x, y, z, c)`, C order.
/// A 3D array on disk has `channels == 1`.
public struct VolumeShape: Hashable, Sendable, Codable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var z: Int
    public var channels: Int

    public init(x: Int, y: Int, z: Int, channels: Int = 1) {
        self.x = x
        self.y = y
        self.z = z
        self.channels = channels
    }

    public var spatial: Extent3 { Extent3(x, y, z) }
    public var voxels: Int { x * y * z }
    public var elements: Int { voxels * channels }

    /// `240x240x160` or `240x240x160x4`.
    public var description: String { channels == 1 ? spatial.description : "\(spatial)x\(channels)" }

    /// Parses `240x240x160` (one channel) or `240x240x160x4`.
    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 3 || parts.count == 4, parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        self.init(x: parts[0]!, y: parts[1]!, z: parts[2]!, channels: parts.count == 4 ? parts[3]! : 1)
    }
}

/// Three spatial extents or coordinates `(x, y, z)`.
public struct Extent3: Hashable, Sendable, Codable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var z: Int

    public init(_ x: Int, _ y: Int, _ z: Int) {
        self.x = x
        self.y = y
        self.z = z
    }

    public static let zero = Extent3(0, 0, 0)
    public var volume: Int { x * y * z }
    public var description: String { "\(x)x\(y)x\(z)" }
    public subscript(axis: Int) -> Int {
        get { axis == 0 ? x : (axis == 1 ? y : z) }
        set {
            switch axis {
            case 0: x = newValue
            case 1: y = newValue
            default: z = newValue
            }
        }
    }

    /// Parses `128x128x128`; a single number `128` means a cube.
    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        if parts.count == 1, let edge = parts[0], edge > 0 {
            self.init(edge, edge, edge)
            return
        }
        guard parts.count == 3, parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        self.init(parts[0]!, parts[1]!, parts[2]!)
    }
}

/// An axis-aligned box of voxels: `origin ..< origin + size` on each axis.
public struct Box3: Hashable, Sendable, CustomStringConvertible {
    public var origin: Extent3
    public var size: Extent3

    public init(origin: Extent3, size: Extent3) {
        self.origin = origin
        self.size = size
    }

    public var description: String { "[\(origin.x)+\(size.x), \(origin.y)+\(size.y), \(origin.z)+\(size.z)]" }

    /// Whether the box lies wholly inside a volume of the given extent.
    public func isInside(_ extent: Extent3) -> Bool {
        (0..<3).allSatisfy { origin[$0] >= 0 && size[$0] >= 0 && origin[$0] + size[$0] <= extent[$0] }
    }

    /// The part of this box inside `[0, extent)`, or nil where nothing overlaps.
    public func clipped(to extent: Extent3) -> Box3? {
        var lo = Extent3.zero, hi = Extent3.zero
        for a in 0..<3 {
            lo[a] = max(origin[a], 0)
            hi[a] = min(origin[a] + size[a], extent[a])
            if hi[a] <= lo[a] { return nil }
        }
        return Box3(origin: lo, size: Extent3(hi.x - lo.x, hi.y - lo.y, hi.z - lo.z))
    }
}
