/// The 95th-percentile symmetric Hausdorff distance (HD95) between a predicted and a true structure.
///
/// Definition (as MedPy's `hd95` and the surface-distance tools BraTS uses): a structure's surface is its voxels
/// with at least one 6-neighbour outside it (the volume's edge counts as outside); every surface voxel of each
/// volume gets the Euclidean distance between voxel centres to the nearest surface voxel of the other; HD95 is the
/// 95th percentile of both sets pooled, with linear interpolation between ranks (NumPy's default).
/// Conventions for empty structures (BraTS's): absent from both, 0; absent from exactly one, the volume's diagonal
/// (`√Σ(extent·spacing)²`, 373.13 mm for BraTS's 240×240×155 at 1 mm), the largest distance possible in it.
///
/// The distances are exact (`DistanceTransform`). Memory: only the box around the structure in either volume is
/// read (the counting pass found it), in slabs of `slabVoxels` with the file pages released after each, holding
/// per voxel of that box one byte per volume and one fp32 distance, 6 bytes in all — at most 6 bytes per voxel of
/// the volume (55 MiB at 240×240×160), plus 8 bytes per surface voxel.
public enum SurfaceDistance {
    public static func hausdorff95(prediction: any VolumeSource, truth: any VolumeSource, labels: [Int],
                                   counts: LabelCounts, spacing: VoxelSpacing,
                                   slabVoxels: Int = SegmentationMetrics.defaultSlabVoxels) -> Double {
        let truthBox = LabelBounds.box(of: labels, in: [counts.truthBounds])
        let predictedBox = LabelBounds.box(of: labels, in: [counts.predictionBounds])
        switch (truthBox, predictedBox) {
        case (nil, nil):
            return 0
        case (nil, _), (_, nil):
            let e = counts.extent
            let diagonal = SIMD3(Double(e.x), Double(e.y), Double(e.z)) * spacing.size
            return (diagonal * diagonal).sum().squareRoot()
        default:
            break
        }
        // Outside this box both volumes are background, so it holds both surfaces and their every neighbour test.
        let box = LabelBounds.box(of: labels, in: [counts.truthBounds, counts.predictionBounds])!
        let n = box.size.volume
        let truthMask = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
        let predictedMask = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
        let field = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer {
            truthMask.deallocate()
            predictedMask.deallocate()
            field.deallocate()
        }
        var member = [Bool](repeating: false, count: 256)
        for label in labels where label >= 0 && label < 256 { member[label] = true }
        for (volume, mask) in [(truth, truthMask), (prediction, predictedMask)] {
            volume.readLabelsReleasingPages(box, into: mask, slabVoxels: slabVoxels)
            for i in 0..<n { mask[i] = member[Int(mask[i])] ? 1 : 0 }
            markSurface(mask, extent: box.size)
        }
        var distances: [Double] = []
        distances.reserveCapacity(1024)
        collect(from: predictedMask, to: truthMask, extent: box.size, spacing: spacing.size, field: field, into: &distances)
        collect(from: truthMask, to: predictedMask, extent: box.size, spacing: spacing.size, field: field, into: &distances)
        distances.sort()
        return percentile(distances, 0.95)
    }

    /// Turns a 0/1 mask into 0 outside, 1 inside, 2 on the surface (inside, with a 6-neighbour outside the
    /// structure or outside the box). Values stay non-zero inside, so marking in place does not disturb the test.
    static func markSurface(_ mask: UnsafeMutablePointer<UInt8>, extent: Extent3) {
        let (nx, ny, nz) = (extent.x, extent.y, extent.z)
        for x in 0..<nx {
            for y in 0..<ny {
                for z in 0..<nz {
                    let i = (x * ny + y) * nz + z
                    guard mask[i] != 0 else { continue }
                    let onEdge = x == 0 || y == 0 || z == 0 || x == nx - 1 || y == ny - 1 || z == nz - 1
                    if onEdge || mask[i - ny * nz] == 0 || mask[i + ny * nz] == 0 || mask[i - nz] == 0
                        || mask[i + nz] == 0 || mask[i - 1] == 0 || mask[i + 1] == 0 {
                        mask[i] = 2
                    }
                }
            }
        }
    }

    /// Appends, for every surface voxel of `from`, its distance to the nearest surface voxel of `to`.
    private static func collect(from: UnsafeMutablePointer<UInt8>, to: UnsafeMutablePointer<UInt8>, extent: Extent3,
                                spacing: SIMD3<Double>, field: UnsafeMutablePointer<Float>, into distances: inout [Double]) {
        let n = extent.volume
        for i in 0..<n { field[i] = to[i] == 2 ? 0 : .infinity }
        DistanceTransform.squaredDistances(field, extent: extent, spacing: spacing)
        for i in 0..<n where from[i] == 2 { distances.append(Double(field[i]).squareRoot()) }
    }

    /// The `p`-quantile of ascending `sorted` values by linear interpolation between closest ranks
    /// (NumPy's `percentile` default); 0 for no values.
    public static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard let last = sorted.last else { return 0 }
        let rank = p * Double(sorted.count - 1)
        let below = Int(rank.rounded(.down))
        guard below + 1 < sorted.count else { return last }
        let fraction = rank - Double(below)
        return sorted[below] + fraction * (sorted[below + 1] - sorted[below])
    }
}
