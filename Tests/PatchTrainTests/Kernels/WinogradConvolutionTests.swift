import Testing
@testable import PatchTrain

/// The forward, input-gradient and weight-gradient passes through Winograd F(4,3) and F(2,3) along z
/// (`ConvolutionPlan.zWinogradOutputs`), in 9-tap tiles, against the fp64 loop nest: their error must stay within the
/// same tolerances as the direct passes'.
@Suite(.kernelExclusive) struct WinogradConvolutionTests {
    /// Two sources (2 + 3 channels, the second read through a normalised ReLU), batch 2, a z of 6 (F(2,3)) or 8
    /// (F(4,3)) with padding at every edge, and tiles of two rows (many tiles, workers splitting them): the scalar
    /// transforms.
    @Test(arguments: [6, 8]) func twoSourcesInSmallTilesMatchDirectConvolution(depth: Int) {
        let extent = Extent3(3, 4, depth), batch = 2, c1 = 2, c2 = 3, cout = 4, cin = c1 + c2
        let voxels = batch * extent.volume
        let plan = ConvolutionPlan(batch: batch, extent: extent, inputChannels: cin, outputChannels: cout,
                                   tileFloats: 2 * 2 * 6 * 9 * 5, unpackedSmallGemms: false)
        #expect(plan.zWinogradOutputs == (depth == 8 ? 4 : 2) && !plan.forwardStacksYTaps)
        #expect(plan.winogradTiles(gathered: cin).largestTile == 2)
        var r = TestRandom(seed: 61)
        let weights = r.array(27 * cin * cout, -0.5, 0.5), bias = r.array(cout)
        let scale = r.array(c2, -1.5, 1.5), shift = r.array(c2, -0.5, 0.5)
        let a = OwnedTensor(batch: batch, extent: extent, channels: c1, element: .float32, values: r.array(voxels * c1, -2, 2))
        let b = OwnedTensor(batch: batch, extent: extent, channels: c2, element: .float32, values: r.array(voxels * c2, -2, 2))
        let y = OwnedTensor(batch: batch, extent: extent, channels: cout, element: .float32)
        let ws = Workspace(floats: plan.workspaceFloats)
        let conv = Convolution3D(plan: plan)
        withTransform(scale: scale, shift: shift, sampleStride: 0) { t in
            conv.forward(sources: [ActivationSource(a.view), ActivationSource(b.view, transform: t)], weights: weights,
                         bias: bias, output: y.view, workspace: ws.pointer)
        }
        let skip = b.values.enumerated().map { i, v in max(0, Double(v) * Double(scale[i % c2]) + Double(shift[i % c2])) }
        let input = concatenateChannels(a.values.map(Double.init), c1, skip, c2, voxels: voxels)
        let want = referenceConvolution(input, batch: batch, extent: extent, inputChannels: cin, weights: weights,
                                        bias: bias, outputChannels: cout)
        // fp32 sums of at most 27·5 = 135 products of size ≤ 3, as the direct passes' test.
        #expect(worstError(y.values, want, atol: 2e-5, rtol: 1e-5) <= 1)

        let upstream = r.array(voxels * cout)
        let dy = OwnedTensor(batch: batch, extent: extent, channels: cout, element: .float32, values: upstream)
        let da = OwnedTensor(batch: batch, extent: extent, channels: c1, element: .float32)
        let db = OwnedTensor(batch: batch, extent: extent, channels: c2, element: .float32)
        conv.backwardInput(outputGradient: dy.view, weights: weights, inputGradients: [da.view, db.view],
                           workspace: ws.pointer)
        let wantGradient = referenceInputGradient(upstream.map(Double.init), batch: batch, extent: extent,
                                                  weights: weights, inputChannels: cin, outputChannels: cout)
        let got = concatenateChannels(da.values.map(Double.init), c1, db.values.map(Double.init), c2, voxels: voxels)
        #expect(worstError(got.map(Float.init), wantGradient, atol: 2e-5, rtol: 1e-5) <= 1)

        // Accumulates onto what is there, as micro-batches do.
        var dw = [Float](repeating: 0.25, count: plan.weightCount), dbias = [Float](repeating: 0.25, count: cout)
        withTransform(scale: scale, shift: shift, sampleStride: 0) { t in
            conv.backwardWeights(sources: [ActivationSource(a.view), ActivationSource(b.view, transform: t)],
                                 outputGradient: dy.view, weightGradient: &dw, biasGradient: &dbias, workspace: ws.pointer)
        }
        let wantWeights = referenceWeightGradient(input, upstream.map(Double.init), batch: batch, extent: extent,
                                                  inputChannels: cin, outputChannels: cout).map { $0 + 0.25 }
        let wantBias = (0..<cout).map { o in 0.25 + stride(from: o, to: upstream.count, by: cout).reduce(0.0) { $0 + Double(upstream[$1]) } }
        // Sums of 2·3·4·z ≤ 192 products of size ≤ 3 per weight, as the finite-difference test of the direct pass.
        #expect(worstError(dw, wantWeights, atol: 5e-4, rtol: 1e-4) <= 1)
        #expect(worstError(dbias, wantBias, atol: 5e-4, rtol: 1e-4) <= 1)
    }

    /// 16→16 at z = 160 in fp16, as level 0 runs without small-matrix kernels: the 16-lane transforms of F(4,3),
    /// and of F(2,3) when the plan is held to it.
    @Test(arguments: [4, 2]) func sixteenChannelsAtLevelZeroMatchDirectConvolution(outputs: Int) {
        let extent = Extent3(2, 3, 160), c = 16, voxels = extent.volume
        let plan = ConvolutionPlan(batch: 1, extent: extent, inputChannels: c, outputChannels: c, unpackedSmallGemms: false,
                                   maximumWinogradOutputs: outputs)
        #expect(plan.zWinogradOutputs == outputs && !plan.forwardStacksYTaps && !plan.inputGradientStacksYTaps)
        var r = TestRandom(seed: 62)
        let weights = r.array(27 * c * c, -0.3, 0.3), bias = r.array(c)
        let x = OwnedTensor(batch: 1, extent: extent, channels: c, element: .float16, values: r.array(voxels * c, -2, 2))
        let y = OwnedTensor(batch: 1, extent: extent, channels: c, element: .float32)
        let ws = Workspace(floats: plan.workspaceFloats)
        let conv = Convolution3D(plan: plan)
        conv.forward(sources: [ActivationSource(x.view)], weights: weights, bias: bias, output: y.view, workspace: ws.pointer)
        let want = referenceConvolution(x.values.map(Double.init), batch: 1, extent: extent, inputChannels: c,
                                        weights: weights, bias: bias, outputChannels: c)
        // fp32 sums of 432 products of size ≤ 0.6, as the y-stacked passes' test at this shape.
        #expect(worstError(y.values, want, atol: 1e-4, rtol: 1e-5) <= 1)

        let dy = OwnedTensor(batch: 1, extent: extent, channels: c, element: .float16, values: r.array(voxels * c))
        let dx = OwnedTensor(batch: 1, extent: extent, channels: c, element: .float32)
        conv.backwardInput(outputGradient: dy.view, weights: weights, inputGradients: [dx.view], workspace: ws.pointer)
        let wantGradient = referenceInputGradient(dy.values.map(Double.init), batch: 1, extent: extent, weights: weights,
                                                  inputChannels: c, outputChannels: c)
        #expect(worstError(dx.values, wantGradient, atol: 1e-4, rtol: 1e-5) <= 1)

        var dw = [Float](repeating: 0, count: plan.weightCount), dbias = [Float](repeating: 0, count: c)
        conv.backwardWeights(sources: [ActivationSource(x.view)], outputGradient: dy.view, weightGradient: &dw,
                             biasGradient: &dbias, workspace: ws.pointer)
        let wantWeights = referenceWeightGradient(x.values.map(Double.init), dy.values.map(Double.init), batch: 1,
                                                  extent: extent, inputChannels: c, outputChannels: c)
        // Sums of up to 960 products of size ≤ 2 each: fp32 accumulation over a few hundred terms.
        #expect(worstError(dw, wantWeights, atol: 5e-4, rtol: 1e-4) <= 1)
    }

    /// An odd z has no pairs to transform: the plan keeps the direct 9-tap passes.
    @Test func oddDepthKeepsTheDirectPasses() {
        let plan = ConvolutionPlan(batch: 1, extent: Extent3(4, 4, 5), inputChannels: 8, outputChannels: 8,
                                   unpackedSmallGemms: false)
        #expect(!plan.zWinograd)
        let off = ConvolutionPlan(batch: 1, extent: Extent3(4, 4, 6), inputChannels: 8, outputChannels: 8,
                                  unpackedSmallGemms: false, maximumWinogradOutputs: 0)
        #expect(!off.zWinograd)
    }
}
