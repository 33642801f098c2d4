/// Where each non-background label occurs in a volume: the smallest box around its voxels.
///
/// Collected during the counting pass so that surface distances need only read the box around a structure,
/// not the whole volume. Label 0 is not tracked: it is the background, whose surface is never scored.
public struct LabelBounds: Sendable, Equatable {
    /// Per label, `(minX, minY, minZ, maxX, maxY, maxZ)` inclusive; `minX > maxX` while the label is unseen.
    /// All 256 labels while counting; cut to the labels present afterwards (`shrunk`), since every case keeps one.
    private var corners: [Int]

    public init() {
        corners = [Int](repeating: 0, count: 256 * 6)
        for label in 0..<256 {
            for axis in 0..<3 {
                corners[label * 6 + axis] = Int.max
                corners[label * 6 + 3 + axis] = Int.min
            }
        }
    }

    /// Takes in a block of labels laid out `(x, y, z)` over `box`.
    mutating func include(_ labels: UnsafePointer<UInt8>, box: Box3) {
        let (sx, sy, sz) = (box.size.x, box.size.y, box.size.z)
        corners.withUnsafeMutableBufferPointer { c in
            for ix in 0..<sx {
                let x = box.origin.x + ix
                for iy in 0..<sy {
                    let y = box.origin.y + iy
                    let row = labels + (ix * sy + iy) * sz
                    for iz in 0..<sz where row[iz] != 0 {
                        let base = Int(row[iz]) * 6
                        let z = box.origin.z + iz
                        if x < c[base] { c[base] = x }
                        if y < c[base + 1] { c[base + 1] = y }
                        if z < c[base + 2] { c[base + 2] = z }
                        if x > c[base + 3] { c[base + 3] = x }
                        if y > c[base + 4] { c[base + 4] = y }
                        if z > c[base + 5] { c[base + 5] = z }
                    }
                }
            }
        }
    }

    /// Only labels `0..<labels` kept (12 KiB per volume would add up over a thousand cases); the rest must be unseen.
    func shrunk(to labels: Int) -> LabelBounds {
        var out = self
        out.corners = Array(corners.prefix(labels * 6))
        return out
    }

    /// The smallest box holding every voxel of any of `labels` in any of `volumes`; nil when there is none.
    public static func box(of labels: [Int], in volumes: [LabelBounds]) -> Box3? {
        var lo = Extent3(Int.max, Int.max, Int.max), hi = Extent3(Int.min, Int.min, Int.min)
        for bounds in volumes {
            for label in labels where label > 0 && label * 6 < bounds.corners.count {
                let base = label * 6
                guard bounds.corners[base] <= bounds.corners[base + 3] else { continue }
                for axis in 0..<3 {
                    lo[axis] = min(lo[axis], bounds.corners[base + axis])
                    hi[axis] = max(hi[axis], bounds.corners[base + 3 + axis])
                }
            }
        }
        guard lo.x <= hi.x else { return nil }
        return Box3(origin: lo, size: Extent3(hi.x - lo.x + 1, hi.y - lo.y + 1, hi.z - lo.z + 1))
    }
}
