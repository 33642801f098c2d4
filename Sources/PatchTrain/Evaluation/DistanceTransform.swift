/// The exact Euclidean distance transform of a box of voxels, as three one-dimensional passes
/// (Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled Functions", 2012).
///
/// The squared distance separates over the axes, `d² = dx² + dy² + dz²`, so a pass along each axis computing
/// `min over p of (f(p) + (s·(q − p))²)` (the lower envelope of parabolas rooted at the sites) gives the exact
/// squared distance from every voxel centre to the nearest site centre, in `O(voxels)`, with any voxel size `s`
/// per axis. Storage is one fp32 value per voxel of the box (in place); each pass needs scratch of one line.
enum DistanceTransform {
    /// On entry `field` holds 0 at the sites and `+∞` elsewhere, laid out `(x, y, z)` in C order over `extent`.
    /// On return every voxel holds its squared distance to the nearest site, in units of `spacing`²
    /// (`+∞` everywhere if there is no site).
    static func squaredDistances(_ field: UnsafeMutablePointer<Float>, extent: Extent3, spacing: SIMD3<Double>) {
        let (nx, ny, nz) = (extent.x, extent.y, extent.z)
        let longest = max(nx, ny, nz)
        let scratch = LineScratch(length: longest)
        defer { scratch.deallocate() }
        // z: contiguous lines.
        for line in 0..<(nx * ny) {
            transformLine(field + line * nz, count: nz, stride: 1, spacing: spacing.z, scratch: scratch)
        }
        // y: lines of stride z.
        for x in 0..<nx {
            for z in 0..<nz {
                transformLine(field + x * ny * nz + z, count: ny, stride: nz, spacing: spacing.y, scratch: scratch)
            }
        }
        // x: lines of stride y·z.
        for y in 0..<ny {
            for z in 0..<nz {
                transformLine(field + y * nz + z, count: nx, stride: ny * nz, spacing: spacing.x, scratch: scratch)
            }
        }
    }

    /// One line's pass. The envelope is computed in Double: its intersections subtract squares of physical
    /// coordinates, which fp32 would round visibly at a few hundred millimetres.
    private static func transformLine(_ f: UnsafeMutablePointer<Float>, count n: Int, stride: Int, spacing s: Double, scratch: LineScratch) {
        let g = scratch.values, v = scratch.sites, z = scratch.bounds
        for i in 0..<n { g[i] = Double(f[i * stride]) }
        // v[0...k]: the sites whose parabolas form the lower envelope; parabola v[j] is lowest on [z[j], z[j+1]).
        var k = -1
        for q in 0..<n where g[q].isFinite {
            let xq = Double(q) * s
            var placed = false
            while k >= 0 {
                let xp = Double(v[k]) * s
                let crossing = ((g[q] + xq * xq) - (g[v[k]] + xp * xp)) / (2 * (xq - xp))
                if crossing <= z[k] {
                    k -= 1  // parabola v[k] is nowhere lowest any more (z[0] = −∞ keeps k ≥ 0)
                    continue
                }
                k += 1
                v[k] = q
                z[k] = crossing
                z[k + 1] = .infinity
                placed = true
                break
            }
            if !placed {
                k = 0
                v[0] = q
                z[0] = -.infinity
                z[1] = .infinity
            }
        }
        guard k >= 0 else { return }  // no site on this line: it stays +∞ for the next pass
        var j = 0
        for q in 0..<n {
            let xq = Double(q) * s
            while z[j + 1] < xq { j += 1 }
            let d = xq - Double(v[j]) * s
            f[q * stride] = Float(d * d + g[v[j]])
        }
    }

    private struct LineScratch {
        let values: UnsafeMutablePointer<Double>
        let sites: UnsafeMutablePointer<Int>
        let bounds: UnsafeMutablePointer<Double>

        init(length: Int) {
            values = .allocate(capacity: length)
            sites = .allocate(capacity: length)
            bounds = .allocate(capacity: length + 1)
        }

        func deallocate() {
            values.deallocate()
            sites.deallocate()
            bounds.deallocate()
        }
    }
}
