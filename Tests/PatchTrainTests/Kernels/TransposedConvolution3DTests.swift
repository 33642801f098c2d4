import Testing
@testable import PatchTrain

@Suite(.kernelExclusive) struct TransposedConvolution3DTests {
    let batch = 2, extent = Extent3(2, 3, 2), cin = 3, cout = 2
    let layer: TransposedConvolution3D
    let weights: [Float], bias: [Float], input: [Float], upstream: [Float]

    init() {
        // Tiles of one input z-row, so the scatter across tiles is exercised.
        layer = TransposedConvolution3D(batch: 2, inputExtent: Extent3(2, 3, 2), inputChannels: 3, outputChannels: 2,
                                        tileFloats: 1)
        var r = TestRandom(seed: 8)
        weights = r.array(3 * 8 * 2)
        bias = r.array(2)
        input = r.array(2 * 12 * 3, -2, 2)
        upstream = r.array(2 * 96 * 2)
    }

    func forward(_ x: [Float], weights w: [Float]? = nil, bias b: [Float]? = nil,
                 element: ActivationElement = .float32) -> [Float] {
        let xin = OwnedTensor(batch: batch, extent: extent, channels: cin, element: element, values: x)
        let out = OwnedTensor(batch: batch, extent: layer.outputExtent, channels: cout, element: element)
        let ws = Workspace(floats: layer.workspaceFloats)
        layer.forward(source: ActivationSource(xin.view), weights: w ?? weights, bias: b ?? bias, output: out.view,
                      workspace: ws.pointer)
        return out.values
    }

    @Test func forwardPlacesEachInputVoxelIntoItsEightChildren() {
        let got = forward(input)
        let o = layer.outputExtent
        var want = [Double](repeating: 0, count: batch * o.volume * cout)
        for n in 0..<batch { for x in 0..<o.x { for y in 0..<o.y { for z in 0..<o.z { for co in 0..<cout {
            let t = ((x % 2) * 2 + y % 2) * 2 + z % 2
            var s = Double(bias[co])
            for ci in 0..<cin {
                s += Double(input[index(n, x / 2, y / 2, z / 2, ci, extent: extent, channels: cin)])
                    * Double(weights[(ci * 8 + t) * cout + co])
            }
            want[index(n, x, y, z, co, extent: o, channels: cout)] = s
        } } } } }
        #expect(worstError(got, want, atol: 1e-5, rtol: 1e-5) <= 1)
        #expect(worstError(forward(roundedToHalf(input), element: .float16), forward(roundedToHalf(input)),
                           atol: 1e-4, rtol: 4.9e-4) <= 1)
    }

    @Test func gradientsMatchFiniteDifferences() {
        let x = OwnedTensor(batch: batch, extent: extent, channels: cin, element: .float32, values: input)
        let dy = OwnedTensor(batch: batch, extent: layer.outputExtent, channels: cout, element: .float32, values: upstream)
        let dx = OwnedTensor(batch: batch, extent: extent, channels: cin, element: .float32)
        let ws = Workspace(floats: layer.workspaceFloats)
        var dw = [Float](repeating: 0, count: layer.weightCount), db = [Float](repeating: 0, count: cout)
        layer.backwardInput(outputGradient: dy.view, weights: weights, inputGradient: dx.view, workspace: ws.pointer)
        layer.backwardWeights(source: ActivationSource(x.view), outputGradient: dy.view, weightGradient: &dw,
                              biasGradient: &db, workspace: ws.pointer)
        // Linear in each argument: a large step has no truncation error.
        let fdX = finiteDifferences(at: input, step: 0.25) { dot(forward($0), upstream) }
        let fdW = finiteDifferences(at: weights, step: 0.25) { dot(forward(input, weights: $0), upstream) }
        let fdB = finiteDifferences(at: bias, step: 0.25) { dot(forward(input, bias: $0), upstream) }
        #expect(worstError(dx.values, fdX, atol: 1e-4, rtol: 1e-4) <= 1)
        #expect(worstError(dw, fdW, atol: 1e-4, rtol: 1e-4) <= 1)
        #expect(worstError(db, fdB, atol: 1e-4, rtol: 1e-4) <= 1)
    }

    @Test func torchWeightLayoutRoundTrips() {
        var r = TestRandom(seed: 9)
        let torch = r.array(cin * cout * 8)
        let ours = TransposedConvolutionWeights.fromTorch(torch, inputChannels: cin, outputChannels: cout)
        #expect(TransposedConvolutionWeights.toTorch(ours, inputChannels: cin, outputChannels: cout) == torch)
        // torch (ci=1, co=0, a=1, b=0, c=1) is ours [ci=1][t=5][co=0].
        let oursIndex = (1 * 8 + 5) * cout, torchIndex = (1 * cout) * 8 + 5
        #expect(ours[oursIndex] == torch[torchIndex])
    }
}
