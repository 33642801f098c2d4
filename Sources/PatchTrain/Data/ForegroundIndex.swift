/// Where each foreground class of one mask lies, so the sampler can centre patches on a tumour without
/// scanning the mask at every draw.
///
/// Per class `1..<classCount` it keeps the class's voxel count and at most `maximumPerClass` of its voxels,
/// evenly spread over the class in C order (every s-th voxel for a power of two s), as linear indices
/// `(x · Y + y) · Z + z`, ascending. Building it is one pass over the mask in `(1, Y, Z)` slabs, with memory
/// bounded by the caps, never by the volume; the result depends only on the mask, so a rebuilt index equals
/// a cached one.
public struct ForegroundIndex: Sendable, Equatable {
    /// The mask's spatial extent.
    public let extent: Extent3
    /// Classes including background (the one-hot channel count, or the largest label + 1 of a label map).
    public let classCount: Int
    /// The cap this index was built with.
    public let maximumPerClass: Int
    /// `voxelCounts[k - 1]`: how many voxels of class `k` the mask holds.
    public let voxelCounts: [Int]
    /// `locations[k - 1]`: linear indices of the kept voxels of class `k`, ascending.
    public let locations: [[UInt32]]

    /// As in nnU-Net: enough points to cover a tumour's shape, small enough to keep many volumes' indexes.
    public static let defaultMaximumPerClass = 10_000
    /// How many cases' indexes a sampler keeps in memory by default (counted by `DataPipelineMemory`).
    public static let defaultResidentLimit = 64

    public init(extent: Extent3, classCount: Int, maximumPerClass: Int, voxelCounts: [Int], locations: [[UInt32]]) {
        precondition(voxelCounts.count == max(classCount - 1, 0) && locations.count == voxelCounts.count, "one entry per foreground class")
        self.extent = extent
        self.classCount = classCount
        self.maximumPerClass = maximumPerClass
        self.voxelCounts = voxelCounts
        self.locations = locations
    }

    /// Foreground classes with at least one voxel, ascending.
    public var presentClasses: [Int] {
        (1..<max(classCount, 1)).filter { !locations[$0 - 1].isEmpty }
    }

    /// The kept voxel locations of class `k` (`1..<classCount`); empty for an absent class.
    public func locations(ofClass k: Int) -> [UInt32] {
        k >= 1 && k < classCount ? locations[k - 1] : []
    }

    /// The `(x, y, z)` coordinates of a linear index.
    public func voxel(_ linear: UInt32) -> Extent3 {
        let i = Int(linear)
        return Extent3(i / (extent.y * extent.z), (i / extent.z) % extent.y, i % extent.z)
    }

    /// Upper bound on the bytes an index of `classCount` classes holds in memory (payload plus array headers).
    public static func maximumBytes(classCount: Int, maximumPerClass: Int = defaultMaximumPerClass) -> Int {
        let classes = max(classCount - 1, 0)
        return classes * (maximumPerClass * MemoryLayout<UInt32>.stride + 64) + 128
    }

    /// Scans `mask` once and builds its index.
    public static func build(from mask: any VolumeSource, maximumPerClass: Int = defaultMaximumPerClass) throws -> ForegroundIndex {
        precondition(maximumPerClass >= 2, "keep at least two locations per class")
        let extent = mask.shape.spatial
        guard extent.volume <= Int(UInt32.max) else {
            throw InputError(mask.path, "volume of \(extent.volume) voxels is too large to index (limit \(UInt32.max))")
        }
        // A one-hot mask names its classes; a label map can hold any of 0...255.
        let possibleClasses = mask.oneHotClasses ?? 256
        var thinners = [ClassThinner](repeating: ClassThinner(cap: maximumPerClass), count: possibleClasses - 1)
        var largestLabel = 0

        let slabVoxels = extent.y * extent.z
        let pages = PageWindow(xPlanesOf: [mask])
        let slab = UnsafeMutablePointer<UInt8>.allocate(capacity: slabVoxels)
        defer { slab.deallocate() }
        for x in 0..<extent.x {
            mask.readLabels(Box3(origin: Extent3(x, 0, 0), size: Extent3(1, extent.y, extent.z)), into: slab)
            let base = UInt32(x * slabVoxels)
            for i in 0..<slabVoxels {
                let label = Int(slab[i])
                if label == 0 { continue }
                largestLabel = max(largestLabel, label)
                thinners[label - 1].offer(base + UInt32(i))
            }
            // Pages of the slabs already read are not needed again; keep RSS to the sampler's window.
            if pages.releasesAfter(plane: x) { mask.releasePages() }
        }
        mask.releasePages()

        let classCount = mask.oneHotClasses ?? (largestLabel + 1)
        let kept = thinners.prefix(classCount - 1)
        return ForegroundIndex(
            extent: extent, classCount: classCount, maximumPerClass: maximumPerClass,
            voxelCounts: kept.map(\.seen), locations: kept.map(\.kept))
    }
}

/// Keeps every `stride`-th voxel offered, doubling the stride (and dropping every other kept voxel) whenever
/// the cap is reached: one pass, at most `cap` values, evenly spread, and independent of anything but the input.
private struct ClassThinner {
    let cap: Int
    var stride = 1
    var seen = 0
    var kept: [UInt32] = []

    init(cap: Int) { self.cap = cap }

    mutating func offer(_ location: UInt32) {
        defer { seen += 1 }
        guard seen % stride == 0 else { return }
        if kept.count == cap {
            // Kept entries are voxels 0, s, 2s, ...; those at even positions are exactly the multiples of 2s.
            var write = 0
            for read in Swift.stride(from: 0, to: kept.count, by: 2) {
                kept[write] = kept[read]
                write += 1
            }
            kept.removeLast(kept.count - write)
            stride *= 2
            guard seen % stride == 0 else { return }
        }
        // Reserving the cap at once keeps the index's memory at its planned bound (no growth slack).
        if kept.capacity == 0 { kept.reserveCapacity(cap) }
        kept.append(location)
    }
}
