/// Three orthogonal planes of a volume crossing at `center`: plane 0 is x = center.x laid out `(y, z)`, plane 1 is
/// y = center.y laid out `(x, z)`, plane 2 is z = center.z laid out `(x, y)` (the later axis varies fastest).
///
/// Read by walking the volume once, plane by plane (`PlaneWalk`): memory stays at one plane plus the three
/// slices, whatever the volume's size.
public struct OrthogonalSlices<Value: Sendable>: Sendable {
    public let extent: Extent3
    public let center: Extent3
    public private(set) var planes: [[Value]]

    /// The two axes plane `axis` spans, in layout order.
    public static func axes(of axis: Int) -> (u: Int, v: Int) { axis == 0 ? (1, 2) : axis == 1 ? (0, 2) : (0, 1) }

    public init(extent: Extent3, center: Extent3, planes: [[Value]]) {
        let sizes = (0..<3).map { a in extent[Self.axes(of: a).u] * extent[Self.axes(of: a).v] }
        precondition(planes.map(\.count) == sizes, "planes of sizes \(sizes)")
        self.extent = extent
        self.center = center
        self.planes = planes
    }

    /// Slices of a volume of `extent` crossing at `center`, all `fill`, to be filled by `take(xPlane:_:)`.
    public init(extent: Extent3, center: Extent3, filledWith fill: Value) {
        self.init(extent: extent, center: center,
                  planes: (0..<3).map { a in [Value](repeating: fill, count: extent[Self.axes(of: a).u] * extent[Self.axes(of: a).v]) })
    }

    /// Takes what the slices need from the plane at `x`, laid out `(y, z)`: the whole plane at `center.x`, and
    /// its row and column through `center` for the other two. Feeding every x-plane once fills the slices.
    public mutating func take(xPlane x: Int, _ plane: UnsafePointer<Value>) {
        let (ny, nz) = (extent.y, extent.z)
        if x == center.x { planes[0] = Array(UnsafeBufferPointer(start: plane, count: ny * nz)) }
        for z in 0..<nz { planes[1][x * nz + z] = plane[center.y * nz + z] }
        for y in 0..<ny { planes[2][x * ny + y] = plane[y * nz + center.z] }
    }

    /// The value at `(u, v)` of plane `axis`.
    public func value(axis: Int, u: Int, v: Int) -> Value { planes[axis][u * extent[Self.axes(of: axis).v] + v] }

    /// Walks `volume` plane by plane (`PlaneWalk`); `read(box, into)` fills one plane's values.
    init(walking volume: any VolumeSource, center: Extent3, fill: Value, read: (Box3, UnsafeMutablePointer<Value>) -> Void) {
        self.init(extent: volume.shape.spatial, center: center, filledWith: fill)
        let extent = self.extent
        PlaneWalk.run(volume, fill: fill, read: read) { box, plane in
            let (origin, size) = (box.origin, box.size)
            for x in 0..<size.x {
                for y in 0..<size.y {
                    for z in 0..<size.z {
                        let p = Extent3(origin.x + x, origin.y + y, origin.z + z)
                        let value = plane[(x * size.y + y) * size.z + z]
                        if p.x == center.x { planes[0][p.y * extent.z + p.z] = value }
                        if p.y == center.y { planes[1][p.x * extent.z + p.z] = value }
                        if p.z == center.z { planes[2][p.x * extent.y + p.y] = value }
                    }
                }
            }
        }
    }
}

extension OrthogonalSlices where Value == Float {
    /// The image's first channel.
    public init(image: any VolumeSource, center: Extent3) {
        let channels = image.shape.channels
        var scratch = [Float]()
        self.init(walking: image, center: center, fill: 0) { box, out in
            if channels == 1 { image.read(box, into: out); return }
            if scratch.count != box.size.volume * channels { scratch = [Float](repeating: 0, count: box.size.volume * channels) }
            scratch.withUnsafeMutableBufferPointer { image.read(box, into: $0.baseAddress!) }
            for i in 0..<box.size.volume { out[i] = scratch[i * channels] }
        }
    }
}

extension OrthogonalSlices where Value == UInt8 {
    /// The class of every voxel (a label map, or a one-hot mask's largest channel).
    public init(labels: any VolumeSource, center: Extent3) {
        self.init(walking: labels, center: center, fill: 0) { box, out in labels.readLabels(box, into: out) }
    }
}
