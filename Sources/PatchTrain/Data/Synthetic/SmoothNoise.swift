/// Value noise: random values in [-1, 1] on a coarse lattice, interpolated trilinearly with smoothstep-eased
/// weights (plain linear weights leave visible creases at the lattice planes).
///
/// The synthetic brain samples it one `(x, y)` row along z at a time: the bilinear part is done once per lattice
/// node of the row's column, after which every voxel of the row costs a single lerp. That is what keeps a
/// 240×240×160 case well under a second.
struct SmoothNoise: Sendable {
    /// Where a voxel coordinate falls on one lattice axis: the lower node and the eased weight of the upper one.
    struct AxisSample: Sendable {
        var node: Int32
        var weight: Float
    }

    let nodes: (x: Int, y: Int, z: Int)
    /// Lattice values, `(i, j, k)` in C order, so a lattice column along z is contiguous.
    private let values: [Float]
    private let xSamples: [AxisSample]
    private let ySamples: [AxisSample]
    private let zSamples: [AxisSample]

    /// A field over a volume of `extent` voxels whose features are about `cell` voxels across.
    /// The lattice is shifted by a random sub-cell offset so that fields sharing a cell size are not aligned.
    init(extent: Extent3, cell: Double, generator: inout SeededGenerator) {
        let cell = max(cell, 1)
        var counts = [0, 0, 0]
        var tables: [[AxisSample]] = []
        for axis in 0..<3 {
            let offset = generator.nextUnit() * cell
            let length = extent[axis]
            counts[axis] = Int((Double(length - 1) + offset) / cell) + 2
            tables.append((0..<length).map { c in
                let u = (Double(c) + offset) / cell
                let node = u.rounded(.down)
                let t = u - node
                return AxisSample(node: Int32(node), weight: Float(t * t * (3 - 2 * t)))
            })
        }
        nodes = (counts[0], counts[1], counts[2])
        values = (0..<(counts[0] * counts[1] * counts[2])).map { _ in Float(generator.nextUnit() * 2 - 1) }
        xSamples = tables[0]
        ySamples = tables[1]
        zSamples = tables[2]
    }

    /// Writes the field's values at voxels `(x, y, z)` for `z` in `zRange` to `row[z]`.
    func fillRow(x: Int, y: Int, zRange: Range<Int>, into row: UnsafeMutablePointer<Float>) {
        guard !zRange.isEmpty else { return }
        let sx = xSamples[x], sy = ySamples[y]
        let nz = nodes.z
        let i = Int(sx.node), j = Int(sy.node)
        let wx = sx.weight, wy = sy.weight
        values.withUnsafeBufferPointer { v in
            zSamples.withUnsafeBufferPointer { zs in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: nz) { column in
                    // Bilinear in x and y at each lattice node of this row's column...
                    let c00 = v.baseAddress! + (i * nodes.y + j) * nz
                    let c01 = c00 + nz
                    let c10 = c00 + nodes.y * nz
                    let c11 = c10 + nz
                    let firstNode = Int(zs[zRange.lowerBound].node)
                    let lastNode = Int(zs[zRange.upperBound - 1].node) + 1
                    for k in firstNode...lastNode {
                        let a = c00[k] + wy * (c01[k] - c00[k])
                        let b = c10[k] + wy * (c11[k] - c10[k])
                        column[k] = a + wx * (b - a)
                    }
                    // ...then one lerp per voxel along z.
                    for z in zRange {
                        let s = zs[z]
                        let k = Int(s.node)
                        row[z] = column[k] + s.weight * (column[k + 1] - column[k])
                    }
                }
            }
        }
    }
}
