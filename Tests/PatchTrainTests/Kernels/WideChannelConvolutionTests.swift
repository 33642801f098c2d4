import Testing
@testable import PatchTrain

/// The 3×3×3 kernels at the channel counts and row lengths of the default U-Net's level 0 (fp16 storage, sixteen
/// channels per vector), against the fp64 loop nest.
@Suite(.kernelExclusive) struct WideChannelConvolutionTests {
    /// 16→16 with z = 160: a padded row's GEMM (162 · 48 · 144 multiply-adds) is above OpenBLAS's unpacked bound,
    /// so the y-stacked passes multiply each row in two pieces of 81 voxels. The input is read through a
    /// normalised ReLU, as a block's second convolution reads it.
    @Test func rowsSplitIntoUnpackedPiecesMatchDirectConvolution() {
        let extent = Extent3(2, 3, 160), c = 16, voxels = extent.volume
        let plan = ConvolutionPlan(batch: 1, extent: extent, inputChannels: c, outputChannels: c, unpackedSmallGemms: true)
        #expect(plan.forwardStacksYTaps && plan.inputGradientStacksYTaps && plan.stackedGemmRows == 81)
        var r = TestRandom(seed: 16)
        let weights = r.array(27 * c * c, -0.3, 0.3), bias = r.array(c)
        let scale = r.array(c, -1.5, 1.5), shift = r.array(c, -0.5, 0.5)
        let x = OwnedTensor(batch: 1, extent: extent, channels: c, element: .float16, values: r.array(voxels * c, -2, 2))
        let y = OwnedTensor(batch: 1, extent: extent, channels: c, element: .float32)
        let ws = Workspace(floats: plan.workspaceFloats)
        let conv = Convolution3D(plan: plan)
        withTransform(scale: scale, shift: shift, sampleStride: 0) { t in
            conv.forward(sources: [ActivationSource(x.view, transform: t)], weights: weights, bias: bias, output: y.view,
                         workspace: ws.pointer)
        }
        let input = x.values.enumerated().map { i, v in max(0, Double(v) * Double(scale[i % c]) + Double(shift[i % c])) }
        let want = referenceConvolution(input, batch: 1, extent: extent, inputChannels: c, weights: weights, bias: bias,
                                        outputChannels: c)
        // fp32 sums of 432 products of size ≤ 1.2.
        #expect(worstError(y.values, want, atol: 1e-4, rtol: 1e-5) <= 1)

        let upstream = r.array(voxels * c)
        let dy = OwnedTensor(batch: 1, extent: extent, channels: c, element: .float16, values: upstream)
        let dx = OwnedTensor(batch: 1, extent: extent, channels: c, element: .float32)
        conv.backwardInput(outputGradient: dy.view, weights: weights, inputGradients: [dx.view], workspace: ws.pointer)
        let wantGradient = referenceInputGradient(dy.values.map(Double.init), batch: 1, extent: extent, weights: weights,
                                                  inputChannels: c, outputChannels: c)
        #expect(worstError(dx.values, wantGradient, atol: 1e-4, rtol: 1e-5) <= 1)
    }

    /// A decoder's first convolution at level 0: a plain 16-channel source and a 32-channel skip read through its
    /// normalised ReLU (two vectors per voxel), both fp16, into 16 channels; through the y-stacked pass (as with
    /// OpenBLAS's small-matrix kernels) and the 9-tap tiles (without them).
    @Test(arguments: [true, false])
    func thirtyTwoChannelSourceReadThroughItsTransformMatchesDirectConvolution(unpackedSmallGemms: Bool) {
        let extent = Extent3(3, 4, 6), c1 = 16, c2 = 32, cout = 16, voxels = extent.volume
        let plan = ConvolutionPlan(batch: 1, extent: extent, inputChannels: c1 + c2, outputChannels: cout,
                                   unpackedSmallGemms: unpackedSmallGemms)
        #expect(plan.forwardStacksYTaps == unpackedSmallGemms)
        var r = TestRandom(seed: 32)
        let weights = r.array(27 * (c1 + c2) * cout, -0.2, 0.2), bias = r.array(cout)
        let scale = r.array(c2, -1.5, 1.5), shift = r.array(c2, -0.5, 0.5)
        let a = OwnedTensor(batch: 1, extent: extent, channels: c1, element: .float16, values: r.array(voxels * c1, -2, 2))
        let b = OwnedTensor(batch: 1, extent: extent, channels: c2, element: .float16, values: r.array(voxels * c2, -2, 2))
        let out = OwnedTensor(batch: 1, extent: extent, channels: cout, element: .float32)
        let ws = Workspace(floats: plan.workspaceFloats)
        withTransform(scale: scale, shift: shift, sampleStride: 0) { t in
            Convolution3D(plan: plan).forward(sources: [ActivationSource(a.view), ActivationSource(b.view, transform: t)],
                                              weights: weights, bias: bias, output: out.view, workspace: ws.pointer)
        }
        let skip = b.values.enumerated().map { i, v in max(0, Double(v) * Double(scale[i % c2]) + Double(shift[i % c2])) }
        let input = concatenateChannels(a.values.map(Double.init), c1, skip, c2, voxels: voxels)
        let want = referenceConvolution(input, batch: 1, extent: extent, inputChannels: c1 + c2, weights: weights,
                                        bias: bias, outputChannels: cout)
        #expect(worstError(out.values, want, atol: 1e-4, rtol: 1e-5) <= 1)
    }

    /// The first block's convolution (one input channel, 16 out), which takes direct vector loops: forward and
    /// weight gradient against the loop nests, batch 2, split over three workers.
    @Test func singleInputChannelMatchesDirectConvolutionAndItsWeightGradient() {
        let extent = Extent3(3, 4, 7), cout = 16, batch = 2, voxels = batch * extent.volume
        let plan = ConvolutionPlan(batch: batch, extent: extent, inputChannels: 1, outputChannels: cout, workers: 3)
        let conv = Convolution3D(plan: plan)
        #expect(conv.takesSingleChannelPath)
        var r = TestRandom(seed: 1)
        let weights = r.array(27 * cout, -0.5, 0.5), bias = r.array(cout)
        let x = OwnedTensor(batch: batch, extent: extent, channels: 1, element: .float16, values: r.array(voxels, -2, 2))
        let y = OwnedTensor(batch: batch, extent: extent, channels: cout, element: .float32)
        let ws = Workspace(floats: plan.workspaceFloats)
        conv.forward(sources: [ActivationSource(x.view)], weights: weights, bias: bias, output: y.view, workspace: ws.pointer)
        let input = x.values.map(Double.init)
        let want = referenceConvolution(input, batch: batch, extent: extent, inputChannels: 1, weights: weights, bias: bias,
                                        outputChannels: cout)
        #expect(worstError(y.values, want, atol: 1e-5, rtol: 1e-5) <= 1)

        let upstream = r.array(voxels * cout)
        let dy = OwnedTensor(batch: batch, extent: extent, channels: cout, element: .float32, values: upstream)
        var dw = [Float](repeating: 1, count: 27 * cout), db = [Float](repeating: 1, count: cout)
        conv.backwardWeights(sources: [ActivationSource(x.view)], outputGradient: dy.view, weightGradient: &dw,
                             biasGradient: &db, workspace: ws.pointer)
        var wantW = [Double](repeating: 1, count: 27 * cout), wantB = [Double](repeating: 1, count: cout)
        for n in 0..<batch { for vx in 0..<extent.x { for vy in 0..<extent.y { for vz in 0..<extent.z { for co in 0..<cout {
            let g = Double(upstream[index(n, vx, vy, vz, co, extent: extent, channels: cout)])
            wantB[co] += g
            for t in 0..<27 {
                let xs = vx + t / 9 - 1, ys = vy + (t / 3) % 3 - 1, zs = vz + t % 3 - 1
                guard xs >= 0, xs < extent.x, ys >= 0, ys < extent.y, zs >= 0, zs < extent.z else { continue }
                wantW[t * cout + co] += input[index(n, xs, ys, zs, 0, extent: extent, channels: 1)] * g
            }
        } } } } }
        // Added onto what the accumulators held (1 each), as micro-batches accumulate.
        #expect(worstError(dw, wantW, atol: 1e-4, rtol: 1e-5) <= 1)
        #expect(worstError(db, wantB, atol: 1e-4, rtol: 1e-5) <= 1)
    }
}
