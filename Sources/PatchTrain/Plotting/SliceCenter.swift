/// Where three orthogonal slices should cross to show a label map's largest foreground structure: on the axis
/// walked on disk, the plane holding the most foreground voxels (of equally full planes, the middle one); within
/// that plane, the largest 4-connected region of foreground, crossed through its median row and median column
/// (each holds some of the region). A label map without foreground gives the volume's centre.
enum SliceCenter {
    static func throughLargestStructure(of labels: any VolumeSource) -> Extent3 {
        let extent = labels.shape.spatial
        let (walk, size) = PlaneWalk.planes(of: labels)
        var counts: [Int] = []
        PlaneWalk.run(labels, fill: UInt8(0), read: { labels.readLabels($0, into: $1) }) { box, plane in
            counts.append(UnsafeBufferPointer(start: plane, count: box.size.volume).reduce(0) { $0 + ($1 == 0 ? 0 : 1) })
        }
        var center = Extent3(extent.x / 2, extent.y / 2, extent.z / 2)
        let most = counts.max() ?? 0
        guard most > 0 else { return center }
        let fullest = counts.indices.filter { counts[$0] == most }
        center[walk] = fullest[fullest.count / 2]
        var origin = Extent3.zero
        origin[walk] = center[walk]
        var plane = [UInt8](repeating: 0, count: size.volume)
        plane.withUnsafeMutableBufferPointer { labels.readLabels(Box3(origin: origin, size: size), into: $0.baseAddress!) }
        labels.releasePages()
        // The plane's two axes, in layout order: (u, v) with v varying fastest.
        let (ua, va) = walk == 0 ? (1, 2) : (0, 1)
        let (nu, nv) = (extent[ua], extent[va])
        let region = largestRegion(plane, rows: nu, columns: nv)
        center[ua] = region.map { $0 / nv }.sorted()[region.count / 2]
        center[va] = region.map { $0 % nv }.sorted()[region.count / 2]
        return center
    }

    /// The indices of the largest 4-connected region of non-zero values in a `rows × columns` plane.
    static func largestRegion(_ plane: [UInt8], rows: Int, columns: Int) -> [Int] {
        var seen = [Bool](repeating: false, count: plane.count)
        var largest: [Int] = []
        var stack: [Int] = []
        for start in plane.indices where plane[start] != 0 && !seen[start] {
            var region: [Int] = []
            seen[start] = true
            stack.append(start)
            while let i = stack.popLast() {
                region.append(i)
                let (r, c) = (i / columns, i % columns)
                for (nr, nc) in [(r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)] where nr >= 0 && nr < rows && nc >= 0 && nc < columns {
                    let j = nr * columns + nc
                    if plane[j] != 0 && !seen[j] {
                        seen[j] = true
                        stack.append(j)
                    }
                }
            }
            if region.count > largest.count { largest = region }
        }
        return largest
    }
}
