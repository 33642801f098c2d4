import Foundation

/// Accumulates overlapping windows' class probabilities into one prediction, slab by slab along x.
///
/// Each window adds `weight × probability` into a fp32 slab that holds one window's depth of x-planes
/// (`SlidingWindow.slabPlanes`) across the whole y–z extent. When a row of windows is complete, the planes before
/// the next row's start can receive nothing more: they are divided by their total weight (see `BlendWeights`),
/// handed to the caller — which writes them out — and the slab slides on. The accumulators therefore never grow
/// with the volume's x extent, and no whole-volume weight map exists at all.
final class Stitcher {
    let windowing: SlidingWindow
    let classes: Int
    let blend: BlendWeights
    private let slab: UnsafeMutablePointer<Float>
    private let ownsSlab: Bool
    private let planeFloats: Int
    /// The x of the slab's first plane, and the row being accumulated.
    private var slabStart = 0
    private(set) var row = 0

    /// `storage`: memory for the slab (at least `InferenceMemory.stitchSlabBytes`), for a caller that has it to lend; otherwise the
    /// stitcher allocates its own.
    init(windowing: SlidingWindow, classes: Int, blend: BlendMode, storage: UnsafeMutableRawPointer? = nil) {
        self.windowing = windowing
        self.classes = classes
        self.blend = BlendWeights(mode: blend, windowing: windowing)
        planeFloats = windowing.volume.y * windowing.volume.z * classes
        let floats = windowing.slabPlanes * planeFloats
        if let storage {
            slab = storage.bindMemory(to: Float.self, capacity: floats)
            ownsSlab = false
        } else {
            slab = .allocate(capacity: floats)
            ownsSlab = true
        }
        slab.initialize(repeating: 0, count: floats)
    }

    deinit { if ownsSlab { slab.deallocate() } }

    var isFinished: Bool { row == windowing.rows.count }

    /// The label of each of `count` voxels of `(voxel, classes)` probabilities: the most probable class, the lowest
    /// on ties. What every consumer of finished planes (output files, validation) takes.
    static func labels(of probabilities: UnsafePointer<Float>, classes: Int, count: Int,
                              into labels: UnsafeMutablePointer<UInt8>) {
        for v in 0..<count {
            let p = probabilities + v * classes
            var best = 0
            for k in 1..<classes where p[k] > p[best] { best = k }
            labels[v] = UInt8(best)
        }
    }

    /// Adds one window of the current row: `probabilities` is `(wx, wy, wz, classes)` C-order over the whole
    /// window, as the network produced it for the input mirrored along `mirrored` (it is read back mirrored, so it
    /// lands unmirrored), scaled by `scale` (1/8 for each of the eight test-time mirrorings). Voxels past the
    /// volume's border (padding) are dropped.
    func add(_ probabilities: UnsafePointer<Float>, at origin: Extent3, mirrored: MirrorAxes = [], scale: Float = 1) {
        precondition(!isFinished && origin.x == windowing.rows[row], "window \(origin) is not in row \(row)")
        let w = windowing.window, v = windowing.volume, c = classes
        let (ax, ay, az) = (blend.axis[0], blend.axis[1], blend.axis[2])
        let depth = min(w.z, v.z - origin.z)
        ax.withUnsafeBufferPointer { ax in ay.withUnsafeBufferPointer { ay in az.withUnsafeBufferPointer { az in
            for i in 0..<min(w.x, v.x - origin.x) {
                let si = mirrored.contains(axis: 0) ? w.x - 1 - i : i
                let plane = origin.x + i - slabStart
                for j in 0..<min(w.y, v.y - origin.y) {
                    let sj = mirrored.contains(axis: 1) ? w.y - 1 - j : j
                    let weight = ax[i] * ay[j] * scale
                    let destination = slab + ((plane * v.y + origin.y + j) * v.z + origin.z) * c
                    // Mirrored along z, the window's line is read backwards.
                    let line = probabilities + (si * w.y + sj) * w.z * c
                    let (first, step) = mirrored.contains(axis: 2) ? (line + (w.z - 1) * c, -c) : (line, c)
                    for k in 0..<depth {
                        let wk = weight * az[k], s = first + k * step, d = destination + k * c
                        for q in 0..<c { d[q] += wk * s[q] }
                    }
                }
            }
        } } }
    }

    /// Ends the current row: every plane that no later window reaches is normalised to probabilities and handed to
    /// `emit(x, plane)` in increasing x, `plane` being `(y, z, classes)` C-order, valid during the call (the callee
    /// may overwrite it). Then the slab slides to the next row.
    func finishRow(_ emit: (Int, UnsafeMutablePointer<Float>) throws -> Void) rethrows {
        precondition(!isFinished, "every row is already finished")
        let v = windowing.volume, c = classes
        let done = windowing.finishedPlanes(afterRow: row)
        let (cx, cy, cz) = (blend.coverage[0], blend.coverage[1], blend.coverage[2])
        for x in done {
            let plane = slab + (x - slabStart) * planeFloats
            for y in 0..<v.y {
                let xy = cx[x] * cy[y]
                for z in 0..<v.z {
                    let inverse = 1 / (xy * cz[z])
                    let p = plane + (y * v.z + z) * c
                    for q in 0..<c { p[q] *= inverse }
                }
            }
            try emit(x, plane)
        }
        // Slide: the planes still open move to the front; the freed ones start again from zero.
        let shift = done.upperBound - slabStart
        let planes = windowing.slabPlanes
        if shift < planes {
            memmove(slab, slab + shift * planeFloats, (planes - shift) * planeFloats * MemoryLayout<Float>.size)
            (slab + (planes - shift) * planeFloats).update(repeating: 0, count: shift * planeFloats)
        } else {
            slab.update(repeating: 0, count: planes * planeFloats)
        }
        slabStart = done.upperBound
        row += 1
    }
}
