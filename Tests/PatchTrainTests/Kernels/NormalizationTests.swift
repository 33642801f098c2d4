import Testing
@testable import PatchTrain

/// relu(γ·(y − μ)/√(σ² + ε) + β) in fp64, statistics over batch and space (BatchNorm) or space (InstanceNorm).
private func referenceNormalizedReLU(_ y: [Double], kind: NormalizationKind, batch: Int, voxels: Int, channels: Int,
                                     gamma: [Double], beta: [Double], epsilon: Double) -> [Double] {
    var out = y
    for c in 0..<channels {
        for group in 0..<(kind == .batch ? 1 : batch) {
            let samples = kind == .batch ? Array(0..<batch) : [group]
            let idx = samples.flatMap { n in (0..<voxels).map { ((n * voxels) + $0) * channels + c } }
            let mu = idx.reduce(0) { $0 + y[$1] } / Double(idx.count)
            let variance = idx.reduce(0) { $0 + (y[$1] - mu) * (y[$1] - mu) } / Double(idx.count)
            for i in idx { out[i] = max(0, gamma[c] * (y[i] - mu) / (variance + epsilon).squareRoot() + beta[c]) }
        }
    }
    return out
}

@Suite(.kernelExclusive) struct NormalizationTests {
    let batch = 2, extent = Extent3(2, 3, 4)

    /// 3 channels take the scalar loops; 32 the vector loops (sixteen channels per register, two registers).
    @Test(arguments: [NormalizationKind.batch, .instance], [3, 32])
    func forwardTransformAndGradientsMatchFiniteDifferences(kind: NormalizationKind, channels: Int) {
        let layer = Normalization(kind: kind, batch: batch, extent: extent, channels: channels)
        var r = TestRandom(seed: 11)
        let count = batch * extent.volume * channels
        let y = r.array(count, -1, 3), upstream = r.array(count)
        let gamma = r.array(channels, 0.5, 1.5), beta = r.array(channels, -0.3, 0.3)
        let raw = OwnedTensor(batch: batch, extent: extent, channels: channels, element: .float32, values: y)
        let s = layer.statisticsCount
        var mean = [Float](repeating: 0, count: s), inverseStd = mean, scale = mean, shift = mean
        var runningMean = [Float](repeating: 0, count: channels), runningVariance = [Float](repeating: 1, count: channels)
        let ws = Workspace(floats: layer.workspaceFloats)
        layer.trainingForward(raw: raw.view, gamma: gamma, beta: beta, mean: &mean, inverseStd: &inverseStd,
                              scale: &scale, shift: &shift, runningMean: &runningMean,
                              runningVariance: &runningVariance, workspace: ws.pointer)
        // What consumers read, through the transform, against the fp64 definition.
        let read = [Float](unsafeUninitializedCapacity: count) { buffer, n in
            withTransform(scale: scale, shift: shift, sampleStride: kind == .batch ? 0 : channels) { t in
                for sample in 0..<batch {
                    ActivationSource(raw.view, transform: t).readVoxels(
                        sample: sample, voxel: 0, voxelCount: extent.volume,
                        into: buffer.baseAddress! + sample * extent.volume * channels, destinationStride: channels)
                }
            }
            n = count
        }
        func reference(_ y: [Double], _ g: [Double], _ b: [Double]) -> [Double] {
            referenceNormalizedReLU(y, kind: kind, batch: batch, voxels: extent.volume, channels: channels,
                                    gamma: g, beta: b, epsilon: 1e-3)
        }
        let yd = y.map(Double.init), gd = gamma.map(Double.init), bd = beta.map(Double.init)
        #expect(worstError(read, reference(yd, gd, bd), atol: 1e-5, rtol: 1e-5) <= 1)

        let dA = OwnedTensor(batch: batch, extent: extent, channels: channels, element: .float32, values: upstream)
        let dY = OwnedTensor(batch: batch, extent: extent, channels: channels, element: .float32)
        var dGamma = [Float](repeating: 0, count: channels), dBeta = dGamma
        layer.backward(raw: raw.view, activationGradient: dA.view, gamma: gamma, mean: mean, inverseStd: inverseStd,
                       scale: scale, shift: shift, rawGradient: dY.view, gammaGradient: &dGamma,
                       betaGradient: &dBeta, workspace: ws.pointer)
        // Finite differences of the fp64 definition with a tiny step: no ReLU kink is crossed, truncation ~h².
        func fd(_ x: [Double], _ f: ([Double]) -> [Double]) -> [Double] {
            let h = 1e-6
            return (0..<x.count).map { i in
                var p = x, m = x
                p[i] += h; m[i] -= h
                let lp = zip(f(p), upstream).reduce(0) { $0 + $1.0 * Double($1.1) }
                let lm = zip(f(m), upstream).reduce(0) { $0 + $1.0 * Double($1.1) }
                return (lp - lm) / (2 * h)
            }
        }
        #expect(worstError(dY.values, fd(yd) { reference($0, gd, bd) }, atol: 2e-4, rtol: 1e-3) <= 1)
        #expect(worstError(dGamma, fd(gd) { reference(yd, $0, bd) }, atol: 2e-4, rtol: 1e-3) <= 1)
        #expect(worstError(dBeta, fd(bd) { reference(yd, gd, $0) }, atol: 2e-4, rtol: 1e-3) <= 1)

        if kind == .batch {
            // Keras momentum 0.99: running = 0.99·running + 0.01·batch, with the unbiased batch variance.
            let m = Double(batch * extent.volume)
            for c in 0..<channels {
                let values = (0..<(batch * extent.volume)).map { yd[$0 * channels + c] }
                let mu = values.reduce(0, +) / m
                let unbiased = values.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / (m - 1)
                #expect(abs(Double(runningMean[c]) - 0.01 * mu) < 1e-6)
                #expect(abs(Double(runningVariance[c]) - (0.99 + 0.01 * unbiased)) < 1e-6)
            }
            var inferScale = [Float](repeating: 0, count: channels), inferShift = inferScale
            layer.inferenceTransform(gamma: gamma, beta: beta, runningMean: runningMean,
                                     runningVariance: runningVariance, scale: &inferScale, shift: &inferShift)
            for c in 0..<channels {
                let want = Double(gamma[c]) / (Double(runningVariance[c]) + 1e-3).squareRoot()
                #expect(abs(Double(inferScale[c]) - want) < 1e-5)
                #expect(abs(Double(inferShift[c]) - (Double(beta[c]) - Double(runningMean[c]) * want)) < 1e-5)
            }
        }
    }
}
