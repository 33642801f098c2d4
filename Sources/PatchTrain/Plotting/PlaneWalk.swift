/// Reads a volume whole, one plane at a time across its slowest axis on disk (z when x varies fastest, else x),
/// giving the mapped pages back as `PageWindow` says: memory stays at one plane, whatever the volume's size.
enum PlaneWalk {
    /// The walked axis and the size of one plane, `(x, y, z)` with 1 on that axis.
    static func planes(of volume: any VolumeSource) -> (axis: Int, size: Extent3) {
        let axis = volume.isXFastestOnDisk ? 2 : 0
        var size = volume.shape.spatial
        size[axis] = 1
        return (axis, size)
    }

    /// Calls `body(box, plane)` for every plane in order; `read(box, into)` fills a plane's values, laid out
    /// `(x, y, z)` over the box.
    static func run<Value>(_ volume: any VolumeSource, fill: Value, read: (Box3, UnsafeMutablePointer<Value>) -> Void,
                           _ body: (Box3, UnsafePointer<Value>) -> Void) {
        let (axis, size) = planes(of: volume)
        let buffer = UnsafeMutablePointer<Value>.allocate(capacity: size.volume)
        buffer.initialize(repeating: fill, count: size.volume)
        defer { buffer.deinitialize(count: size.volume); buffer.deallocate() }
        let pages = PageWindow(planeBytes: size.volume * volume.shape.channels * volume.elementType.byteSize)
        for i in 0..<volume.shape.spatial[axis] {
            var origin = Extent3.zero
            origin[axis] = i
            let box = Box3(origin: origin, size: size)
            read(box, buffer)
            if pages.releasesAfter(plane: i) { volume.releasePages() }
            body(box, buffer)
        }
        volume.releasePages()
    }
}
