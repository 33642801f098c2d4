import Testing
@testable import PatchTrain

/// Gradient accumulation needs a sample's arithmetic to be the same in a micro-batch of one as in a micro-batch of
/// two: the 3×3×3 passes must give every sample of a batch bit for bit what they give it alone, in every tiling
/// (large 9-tap tiles, direct, Winograd F(4,3) and F(2,3), and the one-row y-stacked tiles). 35 rows per sample in
/// tiles of at most 4 or 5 (Winograd) or 6 (direct) rows make a GEMM's row count vary from tile to tile.
@Suite(.kernelExclusive) struct ConvolutionBatchInvarianceTests {
    @Test(arguments: [(false, 8), (false, 6), (false, 7), (true, 8)])
    func eachSampleOfABatchComputesAsIfAlone(unpackedSmallGemms: Bool, depth: Int) {
        let extent = Extent3(5, 7, depth), c = 16, voxels = extent.volume
        func plan(batch: Int) -> ConvolutionPlan {
            ConvolutionPlan(batch: batch, extent: extent, inputChannels: c, outputChannels: c,
                            tileFloats: 4 * 2 * depth * 9 * c, unpackedSmallGemms: unpackedSmallGemms)
        }
        #expect(plan(batch: 2).zWinogradOutputs == (depth % 4 == 0 ? 4 : depth % 2 == 0 ? 2 : 0))
        if !unpackedSmallGemms { #expect(plan(batch: 1).inputTiles.largestTile > 1) }
        var r = TestRandom(seed: 71)
        let weights = r.array(27 * c * c, -0.3, 0.3), bias = r.array(c)
        let input = r.array(2 * voxels * c, -2, 2), upstream = r.array(2 * voxels * c, -1, 1)

        /// Forward output, input gradient and weight gradient of `batch` samples starting at `first`.
        func passes(batch: Int, first: Int) -> (y: [Float], dx: [Float], dw: [Float]) {
            let plan = plan(batch: batch), span = first * voxels * c ..< (first + batch) * voxels * c
            let x = OwnedTensor(batch: batch, extent: extent, channels: c, element: .float16, values: Array(input[span]))
            let dy = OwnedTensor(batch: batch, extent: extent, channels: c, element: .float16,
                                 values: Array(upstream[span]))
            let y = OwnedTensor(batch: batch, extent: extent, channels: c, element: .float32)
            let dx = OwnedTensor(batch: batch, extent: extent, channels: c, element: .float32)
            var dw = [Float](repeating: 0, count: plan.weightCount), db = [Float](repeating: 0, count: c)
            let ws = Workspace(floats: plan.workspaceFloats), conv = Convolution3D(plan: plan)
            conv.forward(sources: [ActivationSource(x.view)], weights: weights, bias: bias, output: y.view,
                         workspace: ws.pointer)
            conv.backwardInput(outputGradient: dy.view, weights: weights, inputGradients: [dx.view],
                               workspace: ws.pointer)
            conv.backwardWeights(sources: [ActivationSource(x.view)], outputGradient: dy.view, weightGradient: &dw,
                                 biasGradient: &db, workspace: ws.pointer)
            return (y.values, dx.values, dw)
        }
        let both = passes(batch: 2, first: 0)
        let alone = [passes(batch: 1, first: 0), passes(batch: 1, first: 1)]
        #expect(both.y == alone[0].y + alone[1].y, "forward")
        #expect(both.dx == alone[0].dx + alone[1].dx, "input gradient")
        // The weight gradient sums over samples, so only the order of fp32 sums may differ.
        let sum = zip(alone[0].dw, alone[1].dw).map { Double($0) + Double($1) }
        #expect(worstError(both.dw, sum, atol: 1e-4, rtol: 1e-5) <= 1, "weight gradient")
    }
}
