import Testing
@testable import PatchTrain

@Suite(.kernelExclusive) struct PointwiseConvolution3DTests {
    let batch = 2, extent = Extent3(2, 3, 4)

    /// 5→3 takes the GEMM path; 32→4 (a multiple of 16 in, a few classes out, as the U-Net's head) the direct loops.
    @Test(arguments: [(5, 3), (32, 4)])
    func forwardAndGradientsMatchDefinitionAndFiniteDifferences(cin: Int, cout: Int) {
        let layer = PointwiseConvolution3D(batch: batch, extent: extent, inputChannels: cin, outputChannels: cout,
                                           tileFloats: 7 * (cin + cout))  // tiles of 7 voxels: uneven last tile
        #expect(layer.isDirect == (cin == 32))
        var r = TestRandom(seed: 10)
        let weights = r.array(cin * cout), bias = r.array(cout)
        let input = r.array(batch * extent.volume * cin, -2, 2), upstream = r.array(batch * extent.volume * cout)
        let ws = Workspace(floats: layer.workspaceFloats)
        func forward(_ x: [Float], _ w: [Float], _ b: [Float]) -> [Float] {
            let xin = OwnedTensor(batch: batch, extent: extent, channels: cin, element: .float32, values: x)
            let out = OwnedTensor(batch: batch, extent: extent, channels: cout, element: .float32)
            layer.forward(source: ActivationSource(xin.view), weights: w, bias: b, output: out.view, workspace: ws.pointer)
            return out.values
        }
        var want = [Double]()
        for v in 0..<(batch * extent.volume) {
            for co in 0..<cout {
                want.append(Double(bias[co]) + (0..<cin).reduce(0.0) { $0 + Double(input[v * cin + $1]) * Double(weights[$1 * cout + co]) })
            }
        }
        #expect(worstError(forward(input, weights, bias), want, atol: 1e-5, rtol: 1e-5) <= 1)

        let x = OwnedTensor(batch: batch, extent: extent, channels: cin, element: .float32, values: input)
        let dy = OwnedTensor(batch: batch, extent: extent, channels: cout, element: .float32, values: upstream)
        let dx = OwnedTensor(batch: batch, extent: extent, channels: cin, element: .float32)
        var dw = [Float](repeating: 0, count: cin * cout), db = [Float](repeating: 0, count: cout)
        layer.backwardInput(outputGradient: dy.view, weights: weights, inputGradient: dx.view, workspace: ws.pointer)
        layer.backwardWeights(source: ActivationSource(x.view), outputGradient: dy.view, weightGradient: &dw,
                              biasGradient: &db, workspace: ws.pointer)
        let fdX = finiteDifferences(at: input, step: 0.25) { dot(forward($0, weights, bias), upstream) }
        let fdW = finiteDifferences(at: weights, step: 0.25) { dot(forward(input, $0, bias), upstream) }
        let fdB = finiteDifferences(at: bias, step: 0.25) { dot(forward(input, weights, $0), upstream) }
        #expect(worstError(dx.values, fdX, atol: 1e-4, rtol: 1e-4) <= 1)
        #expect(worstError(dw, fdW, atol: 1e-4, rtol: 1e-4) <= 1)
        #expect(worstError(db, fdB, atol: 1e-4, rtol: 1e-4) <= 1)
    }
}
