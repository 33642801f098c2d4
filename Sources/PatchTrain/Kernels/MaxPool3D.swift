/// 2×2×2 max pooling with stride 2 (channel-last; every input extent even, as patch edges are multiples of 16).
///
/// The input is usually a fused block's raw output read through its normalised ReLU: the pool applies the map
/// while reading, so neither the activation nor an argmax mask is stored. The backward pass re-reads the input
/// and recomputes which of the 8 voxels won (the first in `[dx][dy][dz]` order on ties, as PyTorch does).
struct MaxPool3D: Sendable {
    let batch: Int
    /// The input extent; the output is half of it on each axis.
    let inputExtent: Extent3
    let channels: Int

    init(batch: Int, inputExtent: Extent3, channels: Int) {
        precondition(inputExtent.x % 2 == 0 && inputExtent.y % 2 == 0 && inputExtent.z % 2 == 0, "odd pooling input")
        self.batch = batch
        self.inputExtent = inputExtent
        self.channels = channels
    }

    var outputExtent: Extent3 { Extent3(inputExtent.x / 2, inputExtent.y / 2, inputExtent.z / 2) }

    /// Four input z-rows, their gradients, and one output z-row, in fp32.
    var workspaceFloats: Int { 8 * inputExtent.z * channels + outputExtent.z * channels }

    static func workspaceBytes(inputExtent: Extent3, channels: Int) -> Int {
        MaxPool3D(batch: 1, inputExtent: inputExtent, channels: channels).workspaceFloats * 4
    }

    func forward(source: ActivationSource, output: ActivationTensor, workspace: UnsafeMutableRawPointer) {
        check(source.tensor, inputExtent)
        check(output, outputExtent)
        let c = channels, zIn = inputExtent.z, zOut = outputExtent.z
        let floats = workspace.bindMemory(to: Float.self, capacity: workspaceFloats)
        let rowsIn = floats, rowOut = floats + 8 * zIn * c
        forEachOutputRow { sample, x, y, outputOffset in
            readInputRows(source, sample: sample, x: x, y: y, into: rowsIn)
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
        let floats = workspace.bindMemory(to: Float.self, capacity: workspaceFloats)
        let rowsIn = floats, gradientsIn = floats + 4 * zIn * c, rowOut = floats + 8 * zIn * c
        let ex = inputExtent, ey = inputExtent.y
        forEachOutputRow { sample, x, y, outputOffset in
            readInputRows(source, sample: sample, x: x, y: y, into: rowsIn)
            outputGradient.read(at: outputOffset, count: zOut * c, into: rowOut)
            gradientsIn.update(repeating: 0, count: 4 * zIn * c)
            for zo in 0..<zOut {
                for k in 0..<c {
                    var best = -Float.infinity, winner = 0
                    for r in 0..<4 {
                        for dz in 0..<2 {
                            let at = (r * zIn + 2 * zo + dz) * c + k
                            if rowsIn[at] > best { best = rowsIn[at]; winner = at }
                        }
                    }
                    gradientsIn[winner] = rowOut[zo * c + k]
                }
            }
            for r in 0..<4 {
                let xi = 2 * x + r / 2, yi = 2 * y + r % 2
                let offset = ((sample * ex.x + xi) * ey + yi) * zIn * c
                inputGradient.store(gradientsIn + r * zIn * c, at: offset, count: zIn * c, accumulate: accumulate)
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

    private func forEachOutputRow(_ body: (Int, Int, Int, Int) -> Void) {
        let e = outputExtent
        for sample in 0..<batch {
            for x in 0..<e.x {
                for y in 0..<e.y { body(sample, x, y, ((sample * e.x + x) * e.y + y) * e.z * channels) }
            }
        }
    }

    private func check(_ t: ActivationTensor, _ extent: Extent3) {
        precondition(t.batch == batch && t.extent == extent && t.channels == channels, "pooling shape mismatch")
    }
}
