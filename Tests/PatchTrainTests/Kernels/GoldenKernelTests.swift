import Testing
@testable import PatchTrain

/// Each kernel against PyTorch (float64) on the same inputs, with activations and activation gradients stored in
/// fp16 as in training. The fixtures' inputs are fp16-representable, so storage loses nothing on the way in; what
/// remains is one rounding of each stored output to fp16 (≤ 2^-11 relative, allowed as rtol 1e-3 = 2 half-ulps)
/// and fp32 accumulation (≤ 1e-5 here, inside atol). fp32 results (weight and bias gradients, which are never
/// stored in fp16, and normalisation statistics) are held to fp32 accumulation error only.
@Suite(.kernelExclusive) struct GoldenKernelTests {
    let storedTolerance = (atol: 1e-4, rtol: 1e-3)
    let accumulatedTolerance = (atol: 1e-4, rtol: 1e-5)

    /// Through both tilings: the y-stacked passes (OpenBLAS with small-matrix kernels) and the 9-tap tiles.
    @Test(arguments: [true, false])
    func convolution3x3x3WithSkipConcatenation(unpackedSmallGemms: Bool) throws {
        let a = try GoldenFixture.tensor("conv3x3_a", element: .float16)
        let b = try GoldenFixture.tensor("conv3x3_b", element: .float16)
        let dy = try GoldenFixture.tensor("conv3x3_upstream", element: .float16)
        let (cin, cout) = (a.view.channels + b.view.channels, dy.view.channels)
        let weights = ConvolutionWeights.fromTorch(try GoldenFixture.values("conv3x3_weight"),
                                                   inputChannels: cin, outputChannels: cout)
        let bias = try GoldenFixture.values("conv3x3_bias")
        let plan = ConvolutionPlan(batch: a.view.batch, extent: a.view.extent, inputChannels: cin, outputChannels: cout,
                                   tileFloats: 3000, unpackedSmallGemms: unpackedSmallGemms)
        let conv = Convolution3D(plan: plan)
        let ws = Workspace(floats: plan.workspaceFloats)
        let y = OwnedTensor(batch: plan.batch, extent: plan.extent, channels: cout, element: .float16)
        let sources = [ActivationSource(a.view), ActivationSource(b.view)]
        conv.forward(sources: sources, weights: weights, bias: bias, output: y.view, workspace: ws.pointer)
        #expect(worstError(y.values, try GoldenFixture.values("conv3x3_output"), atol: storedTolerance.atol, rtol: storedTolerance.rtol) <= 1)

        let da = OwnedTensor(batch: plan.batch, extent: plan.extent, channels: a.view.channels, element: .float16)
        let db = OwnedTensor(batch: plan.batch, extent: plan.extent, channels: b.view.channels, element: .float16)
        conv.backwardInput(outputGradient: dy.view, weights: weights, inputGradients: [da.view, db.view], workspace: ws.pointer)
        #expect(worstError(da.values, try GoldenFixture.values("conv3x3_grad_a"), atol: storedTolerance.atol, rtol: storedTolerance.rtol) <= 1)
        #expect(worstError(db.values, try GoldenFixture.values("conv3x3_grad_b"), atol: storedTolerance.atol, rtol: storedTolerance.rtol) <= 1)

        var dw = [Float](repeating: 0, count: plan.weightCount), dbias = [Float](repeating: 0, count: cout)
        conv.backwardWeights(sources: sources, outputGradient: dy.view, weightGradient: &dw, biasGradient: &dbias,
                             workspace: ws.pointer)
        let torchDW = ConvolutionWeights.toTorch(dw, inputChannels: cin, outputChannels: cout)
        #expect(worstError(torchDW, try GoldenFixture.values("conv3x3_grad_weight"), atol: accumulatedTolerance.atol, rtol: accumulatedTolerance.rtol) <= 1)
        #expect(worstError(dbias, try GoldenFixture.values("conv3x3_grad_bias"), atol: accumulatedTolerance.atol, rtol: accumulatedTolerance.rtol) <= 1)
    }

    @Test func transposedConvolution2x2x2() throws {
        let x = try GoldenFixture.tensor("convT_input", element: .float16)
        let dy = try GoldenFixture.tensor("convT_upstream", element: .float16)
        let (cin, cout) = (x.view.channels, dy.view.channels)
        let layer = TransposedConvolution3D(batch: x.view.batch, inputExtent: x.view.extent, inputChannels: cin,
                                            outputChannels: cout)
        let weights = TransposedConvolutionWeights.fromTorch(try GoldenFixture.values("convT_weight"),
                                                             inputChannels: cin, outputChannels: cout)
        let bias = try GoldenFixture.values("convT_bias")
        let ws = Workspace(floats: layer.workspaceFloats)
        let y = OwnedTensor(batch: x.view.batch, extent: layer.outputExtent, channels: cout, element: .float16)
        layer.forward(source: ActivationSource(x.view), weights: weights, bias: bias, output: y.view, workspace: ws.pointer)
        #expect(worstError(y.values, try GoldenFixture.values("convT_output"), atol: storedTolerance.atol, rtol: storedTolerance.rtol) <= 1)
        let dx = OwnedTensor(batch: x.view.batch, extent: x.view.extent, channels: cin, element: .float16)
        layer.backwardInput(outputGradient: dy.view, weights: weights, inputGradient: dx.view, workspace: ws.pointer)
        #expect(worstError(dx.values, try GoldenFixture.values("convT_grad_input"), atol: storedTolerance.atol, rtol: storedTolerance.rtol) <= 1)
        var dw = [Float](repeating: 0, count: layer.weightCount), db = [Float](repeating: 0, count: cout)
        layer.backwardWeights(source: ActivationSource(x.view), outputGradient: dy.view, weightGradient: &dw,
                              biasGradient: &db, workspace: ws.pointer)
        let torchDW = TransposedConvolutionWeights.toTorch(dw, inputChannels: cin, outputChannels: cout)
        #expect(worstError(torchDW, try GoldenFixture.values("convT_grad_weight"), atol: accumulatedTolerance.atol, rtol: accumulatedTolerance.rtol) <= 1)
        #expect(worstError(db, try GoldenFixture.values("convT_grad_bias"), atol: accumulatedTolerance.atol, rtol: accumulatedTolerance.rtol) <= 1)
    }

    @Test func pointwiseConvolution() throws {
        let x = try GoldenFixture.tensor("conv1x1_input", element: .float16)
        let dy = try GoldenFixture.tensor("conv1x1_upstream", element: .float32)
        let (cin, cout) = (x.view.channels, dy.view.channels)
        let layer = PointwiseConvolution3D(batch: x.view.batch, extent: x.view.extent, inputChannels: cin, outputChannels: cout)
        // torch (co, ci, 1, 1, 1) → ours [ci][co]: a transpose (the 3×3×3 converter with one tap).
        let weights = ConvolutionWeights.fromTorch(try GoldenFixture.values("conv1x1_weight"),
                                                   inputChannels: cin, outputChannels: cout, taps: 1)
        let bias = try GoldenFixture.values("conv1x1_bias")
        let ws = Workspace(floats: layer.workspaceFloats)
        // Logits are small (classes channels) and feed the loss: stored fp32.
        let y = OwnedTensor(batch: x.view.batch, extent: x.view.extent, channels: cout, element: .float32)
        layer.forward(source: ActivationSource(x.view), weights: weights, bias: bias, output: y.view, workspace: ws.pointer)
        #expect(worstError(y.values, try GoldenFixture.values("conv1x1_output"), atol: 1e-5, rtol: 1e-5) <= 1)
        let dx = OwnedTensor(batch: x.view.batch, extent: x.view.extent, channels: cin, element: .float16)
        layer.backwardInput(outputGradient: dy.view, weights: weights, inputGradient: dx.view, workspace: ws.pointer)
        #expect(worstError(dx.values, try GoldenFixture.values("conv1x1_grad_input"), atol: storedTolerance.atol, rtol: storedTolerance.rtol) <= 1)
        var dw = [Float](repeating: 0, count: layer.weightCount), db = [Float](repeating: 0, count: cout)
        layer.backwardWeights(source: ActivationSource(x.view), outputGradient: dy.view, weightGradient: &dw,
                              biasGradient: &db, workspace: ws.pointer)
        let torchDW = ConvolutionWeights.toTorch(dw, inputChannels: cin, outputChannels: cout, taps: 1)
        #expect(worstError(torchDW, try GoldenFixture.values("conv1x1_grad_weight"), atol: accumulatedTolerance.atol, rtol: accumulatedTolerance.rtol) <= 1)
        #expect(worstError(db, try GoldenFixture.values("conv1x1_grad_bias"), atol: accumulatedTolerance.atol, rtol: accumulatedTolerance.rtol) <= 1)
    }

    @Test func maxPool() throws {
        let x = try GoldenFixture.tensor("maxpool_input", element: .float16)
        let dy = try GoldenFixture.tensor("maxpool_upstream", element: .float16)
        let layer = MaxPool3D(batch: x.view.batch, inputExtent: x.view.extent, channels: x.view.channels)
        let ws = Workspace(floats: layer.workspaceFloats)
        let y = OwnedTensor(batch: x.view.batch, extent: layer.outputExtent, channels: x.view.channels, element: .float16)
        layer.forward(source: ActivationSource(x.view), output: y.view, workspace: ws.pointer)
        // Pooling selects stored values: exact.
        #expect(y.values == (try GoldenFixture.values("maxpool_output")))
        let dx = OwnedTensor(batch: x.view.batch, extent: x.view.extent, channels: x.view.channels, element: .float16)
        layer.backward(source: ActivationSource(x.view), outputGradient: dy.view, inputGradient: dx.view, workspace: ws.pointer)
        #expect(dx.values == (try GoldenFixture.values("maxpool_grad_input")))
    }

    @Test(arguments: [NormalizationKind.batch, .instance])
    func normalizedReLU(kind: NormalizationKind) throws {
        let prefix = kind == .batch ? "batchnorm" : "instancenorm"
        let raw = try GoldenFixture.tensor(prefix + "_raw", element: .float16)
        let upstream = try GoldenFixture.tensor(prefix + "_upstream", element: .float16)
        let gamma = try GoldenFixture.values(prefix + "_gamma"), beta = try GoldenFixture.values(prefix + "_beta")
        let layer = Normalization(kind: kind, batch: raw.view.batch, extent: raw.view.extent, channels: raw.view.channels)
        let ws = Workspace(floats: layer.workspaceFloats)
        let s = layer.statisticsCount, c = raw.view.channels
        var mean = [Float](repeating: 0, count: s), inverseStd = mean, scale = mean, shift = mean
        var runningMean = [Float](repeating: 0, count: c), runningVariance = [Float](repeating: 1, count: c)
        layer.trainingForward(raw: raw.view, gamma: gamma, beta: beta, mean: &mean, inverseStd: &inverseStd,
                              scale: &scale, shift: &shift, runningMean: &runningMean,
                              runningVariance: &runningVariance, workspace: ws.pointer)
        // The activation as the next layer reads it (fp32 in its tile).
        var read = [Float](repeating: 0, count: raw.count)
        withTransform(scale: scale, shift: shift, sampleStride: kind == .batch ? 0 : c) { t in
            read.withUnsafeMutableBufferPointer { buffer in
                for n in 0..<raw.view.batch {
                    ActivationSource(raw.view, transform: t).readVoxels(
                        sample: n, voxel: 0, voxelCount: raw.view.voxelsPerSample,
                        into: buffer.baseAddress! + n * raw.view.voxelsPerSample * c, destinationStride: c)
                }
            }
        }
        #expect(worstError(read, try GoldenFixture.values(prefix + "_output"), atol: 1e-5, rtol: 1e-5) <= 1)
        let dRaw = OwnedTensor(batch: raw.view.batch, extent: raw.view.extent, channels: c, element: .float16)
        var dGamma = [Float](repeating: 0, count: c), dBeta = dGamma
        layer.backward(raw: raw.view, activationGradient: upstream.view, gamma: gamma, mean: mean,
                       inverseStd: inverseStd, scale: scale, shift: shift, rawGradient: dRaw.view,
                       gammaGradient: &dGamma, betaGradient: &dBeta, workspace: ws.pointer)
        #expect(worstError(dRaw.values, try GoldenFixture.values(prefix + "_grad_raw"), atol: storedTolerance.atol, rtol: storedTolerance.rtol) <= 1)
        #expect(worstError(dGamma, try GoldenFixture.values(prefix + "_grad_gamma"), atol: accumulatedTolerance.atol, rtol: 1e-4) <= 1)
        #expect(worstError(dBeta, try GoldenFixture.values(prefix + "_grad_beta"), atol: accumulatedTolerance.atol, rtol: 1e-4) <= 1)
        if kind == .batch {
            #expect(worstError(runningMean, try GoldenFixture.values("batchnorm_running_mean"), atol: 1e-6, rtol: 1e-5) <= 1)
            #expect(worstError(runningVariance, try GoldenFixture.values("batchnorm_running_var"), atol: 1e-6, rtol: 1e-5) <= 1)
        }
    }

    @Test(arguments: [(SegmentationLoss.dice, "dice"), (.crossEntropy, "ce"), (.diceCrossEntropy, "dice_ce")])
    func softmaxLoss(loss: SegmentationLoss, name: String) throws {
        let logits = try GoldenFixture.tensor("loss_logits", element: .float32)
        let labels = try GoldenFixture.values("loss_labels").map { UInt8($0) }
        let kernel = SoftmaxLoss(loss: loss, batch: logits.view.batch, extent: logits.view.extent,
                                 classes: logits.view.channels)
        let ws = Workspace(floats: kernel.workspaceFloats)
        let gradient = OwnedTensor(batch: logits.view.batch, extent: logits.view.extent, channels: logits.view.channels,
                                   element: .float32)
        let value = kernel.evaluate(logits: logits.view, labels: labels, logitGradient: gradient.view, workspace: ws.pointer)
        let want = try GoldenFixture.values("loss_\(name)_value")[0]
        #expect(abs(value - Double(want)) < 1e-6)
        let wantGradient = try GoldenFixture.values("loss_\(name)_grad")
        let scale = finiteMaximum(wantGradient.map { abs($0) })
        #expect(worstError(gradient.values, wantGradient, atol: 1e-5 * scale, rtol: 1e-4) <= 1)
    }
}
