/// Cutting a box of a volume into slabs that are each one short stretch of its file.
///
/// Reading a box maps every file page between its first and last plane along the file's slowest axis (the kernel
/// maps pages in runs around each access), so a box spanning many planes of a one-hot float32 file keeps far more
/// resident than the labels it yields: a 96³ cube of a 240×240×160×4 `.npy` kept 66 MiB. Slabs are whole planes
/// across the slowest axis (x for C-order `.npy`, z when x is fastest: NIfTI, Fortran order), at most `PageWindow.windowBytes`
/// of the file and `voxels` voxels each, with the pages released after each slab.
enum Slabs {
    /// Slabs covering `box` (absolute coordinates), z fastest in the order they come.
    static func boxes(of box: Box3, in volume: any VolumeSource, voxels: Int) -> [Box3] {
        let xFastest = volume.isXFastestOnDisk
        let slow = xFastest ? 2 : 0
        let s = volume.shape
        let filePlaneBytes = (xFastest ? s.x * s.y : s.y * s.z) * s.channels * volume.elementType.byteSize
        let boxPlane = box.size.volume / max(box.size[slow], 1)
        let planes = PageWindow(planeBytes: filePlaneBytes).planesPerRelease
        let perSlab = max(1, min(voxels, planes * boxPlane))
        return boxes(extent: box.size, voxels: perSlab, xFastest: xFastest).map {
            Box3(origin: Extent3(box.origin.x + $0.origin.x, box.origin.y + $0.origin.y, box.origin.z + $0.origin.z), size: $0.size)
        }
    }

    /// Boxes covering `[0, extent)`: whole planes across the slow axis (x, or z when x is fastest), as many as fit
    /// in `voxels`; where one plane is larger, runs of its whole rows (y varies slower than the fastest axis in
    /// both orders, so a run of rows is still one stretch of the file).
    static func boxes(extent: Extent3, voxels: Int, xFastest: Bool) -> [Box3] {
        let slow = xFastest ? 2 : 0, fast = xFastest ? 0 : 2
        let plane = extent.volume / max(extent[slow], 1)
        var boxes: [Box3] = []
        func box(slowRange: Range<Int>, yRange: Range<Int>) -> Box3 {
            var origin = Extent3.zero, size = extent
            origin[slow] = slowRange.lowerBound
            size[slow] = slowRange.count
            origin.y = yRange.lowerBound
            size.y = yRange.count
            return Box3(origin: origin, size: size)
        }
        if plane <= voxels {
            let planes = voxels / max(plane, 1)
            for start in stride(from: 0, to: extent[slow], by: planes) {
                boxes.append(box(slowRange: start..<min(start + planes, extent[slow]), yRange: 0..<extent.y))
            }
        } else {
            let rows = max(voxels / max(extent[fast], 1), 1)
            for index in 0..<extent[slow] {
                for y in stride(from: 0, to: extent.y, by: rows) {
                    boxes.append(box(slowRange: index..<(index + 1), yRange: y..<min(y + rows, extent.y)))
                }
            }
        }
        return boxes
    }
}

extension VolumeSource {
    /// `readLabels` of a box of any size, slab by slab (`Slabs`) with the pages released after each.
    func readLabelsReleasingPages(_ box: Box3, into destination: UnsafeMutablePointer<UInt8>, slabVoxels: Int) {
        let slabs = Slabs.boxes(of: box, in: self, voxels: slabVoxels)
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: slabs.map(\.size.volume).max() ?? 0)
        defer { scratch.deallocate() }
        let (ny, nz) = (box.size.y, box.size.z)
        for slab in slabs {
            readLabels(slab, into: scratch)
            releasePages()
            // Each (x, y) row of the slab lands in the same row of the box, at the slab's z offset.
            let (ox, oy, oz) = (slab.origin.x - box.origin.x, slab.origin.y - box.origin.y, slab.origin.z - box.origin.z)
            let (sy, sz) = (slab.size.y, slab.size.z)
            for ix in 0..<slab.size.x {
                for iy in 0..<sy {
                    (destination + ((ox + ix) * ny + oy + iy) * nz + oz).update(from: scratch + (ix * sy + iy) * sz, count: sz)
                }
            }
        }
    }
}
