import Testing
@testable import PatchTrain

/// A decoder-like layer: two sources concatenated (2 + 3 channels), the second read through a normalised ReLU,
/// batch 2, an uneven extent so that every padding edge differs, and small tiles so that many tiles (of two rows)
/// are walked. Where the tile machinery or the tap offsets were wrong, some voxel would disagree.
private struct ConvolutionCase {
    let batch = 2, extent = Extent3(3, 4, 5), c1 = 2, c2 = 3, cout = 4
    var cin: Int { c1 + c2 }
    let weights: [Float], bias: [Float], first: [Float], second: [Float], scale: [Float], shift: [Float]

    init(seed: UInt64) {
        var r = TestRandom(seed: seed)
        let voxels = 2 * 3 * 4 * 5
        weights = r.array(27 * 5 * 4, -0.5, 0.5)
        bias = r.array(4)
        first = r.array(voxels * 2, -2, 2)
        second = r.array(voxels * 3, -2, 2)
        scale = r.array(3, -1.5, 1.5)
        shift = r.array(3, -0.5, 0.5)
    }

    /// With `unpackedSmallGemms` (the default here, whatever this machine's OpenBLAS has) the small default tiles
    /// take the y-stacked passes; `tileFloats: 1` or `unpackedSmallGemms: false` take the 9-tap tiles.
    func plan(tileFloats: Int = 2 * 7 * 9 * 5, workers: Int = 2, unpackedSmallGemms: Bool = true) -> ConvolutionPlan {
        ConvolutionPlan(batch: batch, extent: extent, inputChannels: cin, outputChannels: cout, tileFloats: tileFloats,
                        workers: workers, unpackedSmallGemms: unpackedSmallGemms)
    }

    /// The logical input (after the second source's transform), from the values as stored.
    func referenceInput(first: [Float], second: [Float], transformed: Bool) -> [Double] {
        let b = second.enumerated().map { i, v -> Double in
            let c = i % c2
            return transformed ? max(0, Double(v) * Double(scale[c]) + Double(shift[c])) : Double(v)
        }
        return concatenateChannels(first.map(Double.init), c1, b, c2, voxels: batch * extent.volume)
    }
}

@Suite(.kernelExclusive) struct Convolution3DTests {
    private func runForward(_ k: ConvolutionCase, element: ActivationElement, transformed: Bool,
                            tileFloats: Int? = nil, first: [Float]? = nil, weights: [Float]? = nil,
                            bias: [Float]? = nil, workers: Int = 2) -> [Float] {
        let plan = tileFloats.map { k.plan(tileFloats: $0, workers: workers) } ?? k.plan(workers: workers)
        let a = OwnedTensor(batch: k.batch, extent: k.extent, channels: k.c1, element: element, values: first ?? k.first)
        let b = OwnedTensor(batch: k.batch, extent: k.extent, channels: k.c2, element: element, values: k.second)
        let out = OwnedTensor(batch: k.batch, extent: k.extent, channels: k.cout, element: element)
        let ws = Workspace(floats: plan.workspaceFloats)
        k.scale.withUnsafeBufferPointer { scale in
            k.shift.withUnsafeBufferPointer { shift in
                let t = transformed ? NormalizedReLU(scale: scale.baseAddress!, shift: shift.baseAddress!, sampleStride: 0) : nil
                Convolution3D(plan: plan).forward(
                    sources: [ActivationSource(a.view), ActivationSource(b.view, transform: t)],
                    weights: weights ?? k.weights, bias: bias ?? k.bias, output: out.view, workspace: ws.pointer)
            }
        }
        return out.values
    }

    @Test(arguments: [nil, 2 * 7 * 9 * 5, 1])
    func forwardMatchesDirectConvolutionInFloat32(tileFloats: Int?) {
        let k = ConvolutionCase(seed: 1)
        let got = runForward(k, element: .float32, transformed: true, tileFloats: tileFloats)
        let want = referenceConvolution(k.referenceInput(first: k.first, second: k.second, transformed: true),
                                        batch: k.batch, extent: k.extent, inputChannels: k.cin,
                                        weights: k.weights, bias: k.bias, outputChannels: k.cout)
        // fp32 sums of at most 27·5 = 135 products of size ≤ 3: rounding stays below 1e-5.
        #expect(worstError(got, want, atol: 2e-5, rtol: 1e-5) <= 1)
    }

    /// Five workers split the 24 rows inside x lines, so the y-stacked forward pass starts and ends segments
    /// mid-line (recomputing the neighbouring input rows); the 9-tap tiles (`tileFloats: 1`) are checked alike.
    @Test(arguments: [nil, 1])
    func forwardSplitInsideLinesMatchesDirectConvolution(tileFloats: Int?) {
        let k = ConvolutionCase(seed: 5)
        #expect(k.plan(tileFloats: tileFloats ?? ConvolutionPlan.defaultTileFloats).forwardStacksYTaps == (tileFloats == nil))
        let got = runForward(k, element: .float32, transformed: true, tileFloats: tileFloats, workers: 5)
        let want = referenceConvolution(k.referenceInput(first: k.first, second: k.second, transformed: true),
                                        batch: k.batch, extent: k.extent, inputChannels: k.cin,
                                        weights: k.weights, bias: k.bias, outputChannels: k.cout)
        #expect(worstError(got, want, atol: 2e-5, rtol: 1e-5) <= 1)
    }

    @Test func forwardWithFloat16StorageRoundsOnlyOnce() {
        let k = ConvolutionCase(seed: 2)
        let got = runForward(k, element: .float16, transformed: true)
        // Reference from the fp16-rounded inputs; the only further error is the single rounding of the output
        // to fp16 (half an ulp, 2^-11 relative) plus fp32 summation noise.
        let want = referenceConvolution(
            k.referenceInput(first: roundedToHalf(k.first), second: roundedToHalf(k.second), transformed: true),
            batch: k.batch, extent: k.extent, inputChannels: k.cin, weights: k.weights, bias: k.bias,
            outputChannels: k.cout)
        #expect(worstError(got, want, atol: 2e-5, rtol: 4.9e-4) <= 1)
    }

    /// L = Σ R ⊙ conv(x): dL/dx from the kernel against central differences of the fp32 forward.
    @Test func inputGradientMatchesFiniteDifferences() {
        let k = ConvolutionCase(seed: 3)
        var r = TestRandom(seed: 33)
        let upstream = r.array(k.batch * k.extent.volume * k.cout)
        func loss(_ first: [Float], _ second: [Float]) -> Double {
            let kk = ConvolutionCase(seed: 3)
            let a = OwnedTensor(batch: k.batch, extent: k.extent, channels: k.c1, element: .float32, values: first)
            let b = OwnedTensor(batch: k.batch, extent: k.extent, channels: k.c2, element: .float32, values: second)
            let out = OwnedTensor(batch: k.batch, extent: k.extent, channels: k.cout, element: .float32)
            let plan = kk.plan()
            let ws = Workspace(floats: plan.workspaceFloats)
            Convolution3D(plan: plan).forward(sources: [ActivationSource(a.view), ActivationSource(b.view)],
                                              weights: k.weights, bias: k.bias, output: out.view, workspace: ws.pointer)
            return zip(out.values, upstream).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let plan = k.plan()
        // Default tiles take the y-stacked pass; the fp16 check below takes the 9-tap tiles (`tileFloats: 1`).
        #expect(plan.inputGradientStacksYTaps && !k.plan(tileFloats: 1).inputGradientStacksYTaps)
        let dy = OwnedTensor(batch: k.batch, extent: k.extent, channels: k.cout, element: .float32, values: upstream)
        let ga = OwnedTensor(batch: k.batch, extent: k.extent, channels: k.c1, element: .float32)
        let gb = OwnedTensor(batch: k.batch, extent: k.extent, channels: k.c2, element: .float32)
        let ws = Workspace(floats: plan.workspaceFloats)
        Convolution3D(plan: plan).backwardInput(outputGradient: dy.view, weights: k.weights,
                                                inputGradients: [ga.view, gb.view], workspace: ws.pointer)
        // The loss is linear in x, so a large step has no truncation error and keeps fp32 rounding of L small.
        let h: Float = 0.25
        var fdA = [Double](), fdB = [Double]()
        for i in 0..<k.first.count {
            var p = k.first, m = k.first
            p[i] += h; m[i] -= h
            fdA.append((loss(p, k.second) - loss(m, k.second)) / Double(2 * h))
        }
        for i in 0..<k.second.count {
            var p = k.second, m = k.second
            p[i] += h; m[i] -= h
            fdB.append((loss(k.first, p) - loss(k.first, m)) / Double(2 * h))
        }
        #expect(worstError(ga.values, fdA, atol: 2e-4, rtol: 1e-4) <= 1)
        #expect(worstError(gb.values, fdB, atol: 2e-4, rtol: 1e-4) <= 1)

        // Accumulating adds onto what is there (an encoder output's gradient from pool plus skip).
        let gb2 = OwnedTensor(batch: k.batch, extent: k.extent, channels: k.c2, element: .float32,
                              values: [Float](repeating: 1, count: k.second.count))
        let ga2 = OwnedTensor(batch: k.batch, extent: k.extent, channels: k.c1, element: .float32,
                              values: [Float](repeating: 1, count: k.first.count))
        Convolution3D(plan: plan).backwardInput(outputGradient: dy.view, weights: k.weights,
                                                inputGradients: [ga2.view, gb2.view], accumulate: true,
                                                workspace: ws.pointer)
        #expect(worstError(gb2.values, gb.values.map { $0 + 1 }, atol: 1e-6, rtol: 1e-6) <= 1)

        // fp16 storage of dY and dX: same result within one fp16 rounding of dY (inputs) and of dX (output).
        let dy16 = OwnedTensor(batch: k.batch, extent: k.extent, channels: k.cout, element: .float16, values: upstream)
        let ga16 = OwnedTensor(batch: k.batch, extent: k.extent, channels: k.c1, element: .float16)
        let gb16 = OwnedTensor(batch: k.batch, extent: k.extent, channels: k.c2, element: .float16)
        Convolution3D(plan: k.plan(tileFloats: 1)).backwardInput(
            outputGradient: dy16.view, weights: k.weights, inputGradients: [ga16.view, gb16.view], workspace: ws.pointer)
        #expect(worstError(ga16.values, ga.values, atol: 2e-3, rtol: 1e-3) <= 1)
        #expect(worstError(gb16.values, gb.values, atol: 2e-3, rtol: 1e-3) <= 1)
    }

    /// dL/dW and dL/db, with the second source read through its normalised ReLU (the transform does not depend
    /// on the weights, so the loss stays linear in them).
    @Test(arguments: [ActivationElement.float32, .float16])
    func weightGradientMatchesFiniteDifferences(gradientElement: ActivationElement) {
        let k = ConvolutionCase(seed: 4)
        var r = TestRandom(seed: 44)
        let upstream = roundedToHalf(r.array(k.batch * k.extent.volume * k.cout))
        func loss(weights: [Float], bias: [Float]) -> Double {
            let out = runForward(k, element: .float32, transformed: true, weights: weights, bias: bias)
            return zip(out, upstream).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let plan = k.plan()
        let a = OwnedTensor(batch: k.batch, extent: k.extent, channels: k.c1, element: .float32, values: k.first)
        let b = OwnedTensor(batch: k.batch, extent: k.extent, channels: k.c2, element: .float32, values: k.second)
        let dy = OwnedTensor(batch: k.batch, extent: k.extent, channels: k.cout, element: gradientElement, values: upstream)
        var dw = [Float](repeating: 0, count: plan.weightCount), db = [Float](repeating: 0, count: k.cout)
        let ws = Workspace(floats: plan.workspaceFloats)
        k.scale.withUnsafeBufferPointer { scale in
            k.shift.withUnsafeBufferPointer { shift in
                let t = NormalizedReLU(scale: scale.baseAddress!, shift: shift.baseAddress!, sampleStride: 0)
                Convolution3D(plan: plan).backwardWeights(
                    sources: [ActivationSource(a.view), ActivationSource(b.view, transform: t)],
                    outputGradient: dy.view, weightGradient: &dw, biasGradient: &db, workspace: ws.pointer)
            }
        }
        let h: Float = 0.25
        var fdW = [Double]()
        for i in 0..<k.weights.count {
            var p = k.weights, m = k.weights
            p[i] += h; m[i] -= h
            fdW.append((loss(weights: p, bias: k.bias) - loss(weights: m, bias: k.bias)) / Double(2 * h))
        }
        var fdB = [Double]()
        for i in 0..<k.cout {
            var p = k.bias, m = k.bias
            p[i] += h; m[i] -= h
            fdB.append((loss(weights: k.weights, bias: p) - loss(weights: k.weights, bias: m)) / Double(2 * h))
        }
        #expect(worstError(dw, fdW, atol: 5e-4, rtol: 1e-4) <= 1)
        #expect(worstError(db, fdB, atol: 5e-4, rtol: 1e-4) <= 1)
    }

    @Test func workspaceIsBoundedByTheTileBudget() {
        let plan = ConvolutionPlan(batch: 1, extent: Extent3(128, 128, 128), inputChannels: 16, outputChannels: 16,
                                   unpackedSmallGemms: true)
        // One padded row of a 16-channel layer is within OpenBLAS's unpacked GEMM bound: tiles of one row.
        #expect(plan.inputRowsPerTile == 1 && plan.forwardStacksYTaps)
        // Without small-matrix kernels the same layer takes tiles as large as the budget allows, unstacked.
        let packed = ConvolutionPlan(batch: 1, extent: Extent3(128, 128, 128), inputChannels: 16, outputChannels: 16,
                                     unpackedSmallGemms: false)
        #expect(packed.inputRowsPerTile == (1 << 19) / (130 * 9 * 16))
        #expect(!packed.forwardStacksYTaps && !packed.inputGradientStacksYTaps)
        let deep = ConvolutionPlan(batch: 1, extent: Extent3(32, 32, 32), inputChannels: 64, outputChannels: 64,
                                   unpackedSmallGemms: true)
        #expect(deep.inputRowsPerTile == (1 << 19) / (34 * 9 * 64))
        #expect(ConvolutionPlan.workspaceBytes(batch: 1, extent: Extent3(128, 128, 128), inputChannels: 16,
                                               outputChannels: 16) < 8 << 20)
    }
}
