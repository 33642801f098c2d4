/// How a volume of a pack is cut into chunks: cubes of `edge` voxels from the origin, the last ones on each
/// axis cut short at the volume's edge. Chunks are numbered in C order of their grid position
/// (`(cx · gy + cy) · gz + cz`), and each chunk's voxels are stored `(x, y, z, c)` in C order over its own box.
public struct PackChunkGrid: Sendable, Equatable {
    public let extent: Extent3
    public let edge: Int
    /// Chunks along each axis.
    public let counts: Extent3

    public init(extent: Extent3, edge: Int) {
        precondition(edge > 0 && extent.x > 0 && extent.y > 0 && extent.z > 0, "empty chunk grid")
        self.extent = extent
        self.edge = edge
        counts = Extent3((extent.x + edge - 1) / edge, (extent.y + edge - 1) / edge, (extent.z + edge - 1) / edge)
    }

    public var chunkCount: Int { counts.volume }

    /// Chunks in one x-layer of the grid (every chunk sharing a `cx`).
    public var layerCount: Int { counts.y * counts.z }

    public func index(_ cx: Int, _ cy: Int, _ cz: Int) -> Int { (cx * counts.y + cy) * counts.z + cz }

    /// The grid position of chunk `index`.
    public func position(_ index: Int) -> Extent3 {
        Extent3(index / (counts.y * counts.z), (index / counts.z) % counts.y, index % counts.z)
    }

    /// The voxels chunk `(cx, cy, cz)` holds.
    public func box(_ cx: Int, _ cy: Int, _ cz: Int) -> Box3 {
        let origin = Extent3(cx * edge, cy * edge, cz * edge)
        return Box3(origin: origin, size: Extent3(min(edge, extent.x - origin.x), min(edge, extent.y - origin.y),
                                                  min(edge, extent.z - origin.z)))
    }

    public func box(_ index: Int) -> Box3 {
        let p = position(index)
        return box(p.x, p.y, p.z)
    }

    /// The chunk positions on `axis` that `box` (inside the volume) touches.
    public func range(of box: Box3, axis: Int) -> ClosedRange<Int> {
        (box.origin[axis] / edge)...((box.origin[axis] + box.size[axis] - 1) / edge)
    }

    /// The part of `box` inside `chunk`, nil when they do not overlap.
    public static func intersection(_ box: Box3, _ chunk: Box3) -> Box3? {
        var lo = Extent3.zero, size = Extent3.zero
        for a in 0..<3 {
            lo[a] = max(box.origin[a], chunk.origin[a])
            let hi = min(box.origin[a] + box.size[a], chunk.origin[a] + chunk.size[a])
            guard hi > lo[a] else { return nil }
            size[a] = hi - lo[a]
        }
        return Box3(origin: lo, size: size)
    }
}
