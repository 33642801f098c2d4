import Testing
@testable import PatchTrain

@Suite(.kernelExclusive) struct MaxPool3DTests {
    let batch = 2, extent = Extent3(4, 2, 6)

    func pool(_ values: [Float], channels: Int, element: ActivationElement = .float32, transform: NormalizedReLU? = nil) -> [Float] {
        let pool = MaxPool3D(batch: batch, inputExtent: extent, channels: channels)
        let input = OwnedTensor(batch: batch, extent: extent, channels: channels, element: element, values: values)
        let output = OwnedTensor(batch: batch, extent: pool.outputExtent, channels: channels, element: element)
        let ws = Workspace(floats: pool.workspaceFloats)
        pool.forward(source: ActivationSource(input.view, transform: transform), output: output.view, workspace: ws.pointer)
        return output.values
    }

    /// 3 channels take the scalar loops; 32 the vector loops (two vectors per voxel).
    @Test(arguments: [3, 32])
    func forwardTakesTheWindowMaximumOfTheTransformedInput(channels: Int) {
        var r = TestRandom(seed: 5)
        let values = r.array(batch * extent.volume * channels, -2, 2)
        let scale = r.array(channels, -1.5, 1.5), shift = r.array(channels, -0.2, 0.2)
        let got = withTransform(scale: scale, shift: shift, sampleStride: 0) { pool(values, channels: channels, transform: $0) }
        let o = Extent3(2, 1, 3)
        var want = [Double]()
        for n in 0..<batch { for x in 0..<o.x { for y in 0..<o.y { for z in 0..<o.z { for c in 0..<channels {
            var m = -Double.infinity
            for a in 0..<2 { for b in 0..<2 { for d in 0..<2 {
                let v = Double(values[index(n, 2 * x + a, 2 * y + b, 2 * z + d, c, extent: extent, channels: channels)])
                m = max(m, max(0, v * Double(scale[c]) + Double(shift[c])))
            } } }
            want.append(m)
        } } } } }
        #expect(worstError(got, want, atol: 1e-6, rtol: 1e-6) <= 1)
    }

    @Test(arguments: [3, 32])
    func gradientMatchesFiniteDifferences(channels: Int) {
        let count = batch * extent.volume * channels
        let values = distinctValues(count, gap: 0.01, seed: 6)
        let layer = MaxPool3D(batch: batch, inputExtent: extent, channels: channels)
        var r = TestRandom(seed: 7)
        let upstream = r.array(batch * layer.outputExtent.volume * channels)
        let input = OwnedTensor(batch: batch, extent: extent, channels: channels, element: .float32, values: values)
        let dy = OwnedTensor(batch: batch, extent: layer.outputExtent, channels: channels, element: .float32, values: upstream)
        let dx = OwnedTensor(batch: batch, extent: extent, channels: channels, element: .float32)
        let ws = Workspace(floats: layer.workspaceFloats)
        layer.backward(source: ActivationSource(input.view), outputGradient: dy.view, inputGradient: dx.view, workspace: ws.pointer)
        let fd = finiteDifferences(at: values, step: 1e-3) { dot(pool($0, channels: channels), upstream) }
        #expect(worstError(dx.values, fd, atol: 1e-4, rtol: 1e-3) <= 1)

        // fp16 gradients hold the same values rounded once; accumulation adds onto what is stored.
        let dx16 = OwnedTensor(batch: batch, extent: extent, channels: channels, element: .float16,
                               values: [Float](repeating: 0.5, count: count))
        layer.backward(source: ActivationSource(input.view), outputGradient: dy.view, inputGradient: dx16.view,
                      accumulate: true, workspace: ws.pointer)
        #expect(worstError(dx16.values, dx.values.map { $0 + 0.5 }, atol: 1e-3, rtol: 4.9e-4) <= 1)
    }

    /// On a tie the first voxel of the window in `[dx][dy][dz]` order takes the gradient, as in PyTorch.
    @Test(arguments: [3, 32])
    func aTieSendsTheGradientToTheFirstMaximum(channels: Int) {
        let layer = MaxPool3D(batch: batch, inputExtent: extent, channels: channels)
        let input = OwnedTensor(batch: batch, extent: extent, channels: channels, element: .float32,
                                values: [Float](repeating: 1, count: batch * extent.volume * channels))
        let dy = OwnedTensor(batch: batch, extent: layer.outputExtent, channels: channels, element: .float32,
                             values: [Float](repeating: 2, count: batch * layer.outputExtent.volume * channels))
        let dx = OwnedTensor(batch: batch, extent: extent, channels: channels, element: .float32)
        let ws = Workspace(floats: layer.workspaceFloats)
        layer.backward(source: ActivationSource(input.view), outputGradient: dy.view, inputGradient: dx.view, workspace: ws.pointer)
        let got = dx.values
        for n in 0..<batch { for x in 0..<extent.x { for y in 0..<extent.y { for z in 0..<extent.z { for c in 0..<channels {
            let first = x % 2 == 0 && y % 2 == 0 && z % 2 == 0
            #expect(got[index(n, x, y, z, c, extent: extent, channels: channels)] == (first ? 2 : 0))
        } } } } }
    }
}
