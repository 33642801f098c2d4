/// 2×2×2 max pooling with stride 2 (channel-last; every input extent even, as patch edges are multiples of 16).
///
/// The input is usually a fused block's raw output read through its normalised ReLU: the pool applies the map
/// while reading, so neither the activation nor an argmax mask is stored. The backward pass re-reads the input
/// and recomputes which of the 8 voxels won (the first in `[dx][dy][dz]` order on ties, as PyTorch does).
/// Workers take contiguous shares of the output z-rows, each with its own rows of the workspace.
struct MaxPool3D: Sendable {
    let batch: Int
    /// The input extent; the output is half of it on each axis.
    let inputExtent: Extent3
    let channels: Int
    let workers: Int

    init(batch: Int, inputExtent: Extent3, channels: Int, workers: Int = 2) {
        precondition(inputExtent.x % 2 == 0 && inputExtent.y % 2 == 0 && inputExtent.z % 2 == 0, "odd pooling input")
        self.batch = batch
        self.inputExtent = inputExtent
        self.channels = channels
        // Capped by one sample's output rows, not the batch's, so that the workspace does not depend on the batch.
        self.workers = max(1, min(workers, inputExtent.x * inputExtent.y / 4))
    }

    var outputExtent: Extent3 { Extent3(inputExtent.x / 2, inputExtent.y / 2, inputExtent.z / 2) }

    /// Per worker four input z-rows, their gradients, and one output z-row, in fp32.
    var workspaceFloats: Int { workers * workerFloats }
    private var workerFloats: Int { 8 * inputExtent.z * channels + outputExtent.z * channels }

    /// The same for every batch (see `workers`).
    static func workspaceBytes(inputExtent: Extent3, channels: Int, workers: Int = 2) -> Int {
        MaxPool3D(batch: 1, inputExtent: inputExtent, channels: channels, workers: workers).workspaceFloats * 4
    }

    func forward(source: ActivationSource, output: ActivationTensor, workspace: UnsafeMutableRawPointer) {
        check(source.tensor, inputExtent)
        check(output, outputExtent)
        let c = channels, zIn = inputExtent.z, zOut = outputExtent.z
        forEachOutputRow(workspace) { sample, x, y, outputOffset, floats in
            let rowsIn = floats, rowOut = floats + 8 * zIn * c
            readInputRows(source, sample: sample, x: x, y: y, into: rowsIn)
            if c % 16 == 0 {
                Self.windowMaxima(rowsIn, rowLength: zIn, channels: c, into: rowOut)
                output.write(rowOut, at: outputOffset, count: zOut * c)
                return
            }
            for zo in 0..<zOut {
                let o = rowOut + zo * c
                o.update(from: rowsIn + 2 * zo * c, count: c)
                for r in 0..<4 {
                    for dz in 0..<2 {
                        let p = rowsIn + (r * zIn + 2 * zo + dz) * c
                        for k in 0..<c where p[k] > o[k] { o[k] = p[k] }
                    }
                }
            }
            output.write(rowOut, at: outputOffset, count: zOut * c)
        }
    }

    /// Routes each output gradient to its window's maximum; writes (or adds to) the input gradient.
    func backward(source: ActivationSource, outputGradient: ActivationTensor, inputGradient: ActivationTensor,
                         accumulate: Bool = false, workspace: UnsafeMutableRawPointer) {
        check(source.tensor, inputExtent)
        check(outputGradient, outputExtent)
        check(inputGradient, inputExtent)
        let c = channels, zIn = inputExtent.z, zOut = outputExtent.z
        let ex = inputExtent, ey = inputExtent.y
        forEachOutputRow(workspace) { sample, x, y, outputOffset, floats in
            let rowsIn = floats, gradientsIn = floats + 4 * zIn * c, rowOut = floats + 8 * zIn * c
            readInputRows(source, sample: sample, x: x, y: y, into: rowsIn)
            outputGradient.read(at: outputOffset, count: zOut * c, into: rowOut)
            if c % 16 == 0 {
                Self.routeToMaxima(rowsIn, rowLength: zIn, channels: c, gradients: rowOut, into: gradientsIn)
            } else {
                routeToMaximaOneByOne(rowsIn, gradients: rowOut, into: gradientsIn)
            }
            for r in 0..<4 {
                let xi = 2 * x + r / 2, yi = 2 * y + r % 2
                let offset = ((sample * ex.x + xi) * ey + yi) * zIn * c
                inputGradient.store(gradientsIn + r * zIn * c, at: offset, count: zIn * c, accumulate: accumulate)
            }
        }
    }

    /// The scalar routing for channel counts that are not a multiple of 16: the rows are cleared, then each window's
    /// first maximum gets its gradient.
    private func routeToMaximaOneByOne(_ rows: UnsafePointer<Float>, gradients: UnsafePointer<Float>,
                                       into out: UnsafeMutablePointer<Float>) {
        let c = channels, zIn = inputExtent.z
        out.update(repeating: 0, count: 4 * zIn * c)
        for zo in 0..<outputExtent.z {
            for k in 0..<c {
                var best = -Float.infinity, winner = 0
                for r in 0..<4 {
                    for dz in 0..<2 {
                        let at = (r * zIn + 2 * zo + dz) * c + k
                        if rows[at] > best { best = rows[at]; winner = at }
                    }
                }
                out[winner] = gradients[zo * c + k]
            }
        }
    }

    /// The four input z-rows `(2x + a, 2y + b)` of one output row, in `[a][b]` order.
    private func readInputRows(_ source: ActivationSource, sample: Int, x: Int, y: Int,
                               into rows: UnsafeMutablePointer<Float>) {
        let zIn = inputExtent.z
        for r in 0..<4 {
            let xi = 2 * x + r / 2, yi = 2 * y + r % 2
            source.readVoxels(sample: sample, voxel: (xi * inputExtent.y + yi) * zIn, voxelCount: zIn,
                              into: rows + r * zIn * channels, destinationStride: channels)
        }
    }

    /// Calls `body(sample, x, y, outputOffset, rows)` for every output z-row, on the workers; `rows` is the
    /// worker's slice of the workspace.
    private func forEachOutputRow(_ workspace: UnsafeMutableRawPointer,
                                  _ body: (Int, Int, Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        let e = outputExtent
        let floats = workspace.bindMemory(to: Float.self, capacity: workspaceFloats)
        forEachWorkerShare(workers: workers, of: batch * e.x * e.y) { worker, first, end in
            let rows = floats + worker * workerFloats
            for row in first..<end {
                let sample = row / (e.x * e.y), x = (row / e.y) % e.x, y = row % e.y
                body(sample, x, y, row * e.z * channels, rows)
            }
        }
    }

    private func check(_ t: ActivationTensor, _ extent: Extent3) {
        precondition(t.batch == batch && t.extent == extent && t.channels == channels, "pooling shape mismatch")
    }

    // MARK: - Sixteen channels per vector

    /// The eight positions of output voxel `zo`'s window in four input rows of `rowLength` voxels: row `q / 2`,
    /// voxel `2·zo + q % 2`, in the order ties are decided.
    @inline(__always)
    private static func windowOffset(_ q: Int, zo: Int, rowLength: Int, channels: Int) -> Int {
        ((q / 2) * rowLength + 2 * zo + q % 2) * channels
    }

    /// Channels `16·j ..< 16·j + 16` of window `zo`'s maximum: the first position, replaced by each later one that is
    /// greater (so a NaN never wins, as in the scalar loop, and ties keep the earliest).
    @inline(__always)
    private static func windowMaximum(_ from: UnsafeRawPointer, zo: Int, group j: Int, rowLength: Int,
                                      channels: Int) -> SIMD16<Float> {
        var best = from.loadUnaligned(fromByteOffset: 4 * (windowOffset(0, zo: zo, rowLength: rowLength, channels: channels) + 16 * j),
                                      as: SIMD16<Float>.self)
        for q in 1..<8 {
            let at = 4 * (windowOffset(q, zo: zo, rowLength: rowLength, channels: channels) + 16 * j)
            let p = from.loadUnaligned(fromByteOffset: at, as: SIMD16<Float>.self)
            best = best.replacing(with: p, where: p .> best)
        }
        return best
    }

    /// Each window's maximum per channel.
    static func windowMaxima(_ rows: UnsafePointer<Float>, rowLength: Int, channels: Int, into out: UnsafeMutablePointer<Float>) {
        let from = UnsafeRawPointer(rows), to = UnsafeMutableRawPointer(out)
        for zo in 0..<(rowLength / 2) {
            for j in 0..<(channels / 16) {
                let best = windowMaximum(from, zo: zo, group: j, rowLength: rowLength, channels: channels)
                to.storeBytes(of: best, toByteOffset: 4 * (zo * channels + 16 * j), as: SIMD16<Float>.self)
            }
        }
    }

    /// Every input position of the four rows gets its window's output gradient where it is the window's first
    /// maximum, else zero (so the rows need no clearing first).
    static func routeToMaxima(_ rows: UnsafePointer<Float>, rowLength: Int, channels: Int, gradients: UnsafePointer<Float>,
                              into out: UnsafeMutablePointer<Float>) {
        let from = UnsafeRawPointer(rows), to = UnsafeMutableRawPointer(out), g = UnsafeRawPointer(gradients)
        for zo in 0..<(rowLength / 2) {
            for j in 0..<(channels / 16) {
                let best = windowMaximum(from, zo: zo, group: j, rowLength: rowLength, channels: channels)
                // The first position equal to the maximum takes the gradient; `left` is zero once it has.
                var left = g.loadUnaligned(fromByteOffset: 4 * (zo * channels + 16 * j), as: SIMD16<Float>.self)
                for q in 0..<8 {
                    let at = 4 * (windowOffset(q, zo: zo, rowLength: rowLength, channels: channels) + 16 * j)
                    let wins = from.loadUnaligned(fromByteOffset: at, as: SIMD16<Float>.self) .== best
                    to.storeBytes(of: left.replacing(with: 0, where: .!wins), toByteOffset: at, as: SIMD16<Float>.self)
                    left = left.replacing(with: 0, where: wins)
                }
            }
        }
    }
}
