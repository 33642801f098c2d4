import Foundation
import PatchTrain

/// `patchtrain-bench conv`: GFLOP/s of the 3×3×3 convolution kernels beside plain sgemm 2048², measured back to back
/// in one process so that the ratio holds even on a busy machine (absolute numbers there are noisy).
/// Each case is `(input channels, output channels, extent)`.
func runConvolutionBenchmark(threads: Int = 2, cases: [(Int, Int, Extent3)], rounds: Int = 5,
                             tileFloats: Int = ConvolutionPlan.defaultTileFloats, maximumWinogradOutputs: Int = 4,
                             unpackedSmallGemms: Bool = BLASCoreType.runsSmallGemmsUnpacked) {
    Matrix.setThreads(threads)
    for (inputChannels, channels, extent) in cases {
        // sgemm is measured beside each case, interleaved with the convolution passes over several rounds, and the
        // best of each is kept: on a shared VM a neighbour's burst can slow any single timing by 1.5×, and taking
        // the unperturbed figure of both sides is what makes their ratio repeatable.
        let plan = ConvolutionPlan(batch: 1, extent: extent, inputChannels: inputChannels, outputChannels: channels,
                                   tileFloats: tileFloats, unpackedSmallGemms: unpackedSmallGemms,
                                   maximumWinogradOutputs: maximumWinogradOutputs)
        var sgemm = 0.0
        var result = (forward: 0.0, inputGradient: 0.0, weightGradient: 0.0)
        for _ in 0..<rounds {
            sgemm = max(sgemm, sgemmGFLOPS(size: 2048))
            let round = measureConvolution(plan)
            result = (max(result.forward, round.forward), max(result.inputGradient, round.inputGradient),
                      max(result.weightGradient, round.weightGradient))
        }
        print("sgemm 2048² (\(threads) threads): \(format(sgemm)) GFLOP/s (best of \(rounds) rounds, interleaved with the passes)")
        for (name, gflops) in [("forward", result.forward), ("input-grad", result.inputGradient),
                               ("weight-grad", result.weightGradient)] {
            print("conv3x3x3 \(inputChannels)→\(channels) \(extent) fp16 \(name): \(format(gflops)) GFLOP/s "
                  + "(\(format(100 * gflops / sgemm))% of sgemm)")
        }
        // The forward GEMM as the kernel calls it: one padded z-row of 3-tap im2col against nine (y, z) taps, or a
        // tile of 9-tap im2col against three z taps.
        let p = plan.extent.z + 2
        let (m, k, n) = plan.forwardStacksYTaps ? (plan.stackedGemmRows, 3 * inputChannels, 9 * channels)
                                                : (plan.inputRowsPerTile * p, 9 * inputChannels, 3 * channels)
        print("  sgemm alone at the forward GEMM shape [\(m) × \(k)]·[\(k) × \(n)]: "
              + "\(format(tileSgemmGFLOPS(m: m, k: k, n: n))) GFLOP/s")
        print("  workspace \(plan.workspaceFloats * 4 / 1024) KiB, \(plan.inputRowsPerTile) z-rows per tile"
              + (plan.forwardStacksYTaps ? ", y and z taps stacked" : plan.zWinograd ? ", z Winograd F(\(plan.zWinogradOutputs),3)" : ""))
    }
}

/// `patchtrain-bench block`: one U-Net conv block (Conv 3×3×3 → BN → ReLU, twice; 16→16 channels, 128³, batch 1)
/// forward and backward as training runs it — fp16 activations, fp32 activation gradients — in seconds, to set
/// beside PyTorch's fp32 `ConvBlock` (`scripts/torch_conv_block_bench.py`) measured in the same window.
func runConvolutionBlockBenchmark(threads: Int = 2, edge: Int = 128, channels: Int = 16) {
    Matrix.setThreads(threads)
    let extent = Extent3(edge, edge, edge), count = extent.volume * channels
    let plan = ConvolutionPlan(batch: 1, extent: extent, inputChannels: channels, outputChannels: channels)
    let conv = Convolution3D(plan: plan)
    let norm = Normalization(kind: .batch, batch: 1, extent: extent, channels: channels)
    let workspace = UnsafeMutableRawPointer.allocate(byteCount: max(plan.workspaceFloats, norm.workspaceFloats) * 4, alignment: 64)
    func tensor(_ element: ActivationElement) -> ActivationTensor {
        let p = UnsafeMutableRawPointer.allocate(byteCount: count * element.byteSize, alignment: 64)
        p.initializeMemory(as: UInt8.self, repeating: 0, count: count * element.byteSize)
        return ActivationTensor(base: p, batch: 1, extent: extent, channels: channels, element: element)
    }
    let input = tensor(.float16), raw1 = tensor(.float16), raw2 = tensor(.float16)
    let upstream = tensor(.float32), gradientA = tensor(.float32), gradientRaw = tensor(.float32), gradientInput = tensor(.float32)
    defer { for t in [input, raw1, raw2, upstream, gradientA, gradientRaw, gradientInput] { t.base.deallocate() }; workspace.deallocate() }
    var values = [Float](repeating: 0, count: count)
    for i in 0..<count { values[i] = Float((i * 7919) % 1000) / 500 - 1 }
    input.write(values, at: 0, count: count)
    upstream.write(values, at: 0, count: count)
    let w1 = [Float](repeating: 0.01, count: plan.weightCount), w2 = w1, bias = [Float](repeating: 0, count: channels)
    let gamma = [Float](repeating: 1, count: channels), beta = [Float](repeating: 0, count: channels)
    var dw = [Float](repeating: 0, count: plan.weightCount), db = [Float](repeating: 0, count: channels)
    var dGamma = db, dBeta = db
    // Per-channel statistics: mean, inverse std, scale, shift of each BN (0–3, 4–7), running mean/var (8–11).
    let statistics = UnsafeMutablePointer<Float>.allocate(capacity: 12 * channels)
    statistics.initialize(repeating: 1, count: 12 * channels)
    defer { statistics.deallocate() }
    func stats(_ i: Int) -> UnsafeMutablePointer<Float> { statistics + i * channels }
    // Time spent in the normalisation kernels, reported beside the total.
    var normalization = 0.0
    func timed(_ body: () -> Void) {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        normalization += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    }
    let time = seconds(repeats: 2) {
        normalization = 0
        conv.forward(sources: [ActivationSource(input)], weights: w1, bias: bias, output: raw1, workspace: workspace)
        timed { norm.trainingForward(raw: raw1, gamma: gamma, beta: beta, mean: stats(0), inverseStd: stats(1), scale: stats(2),
                             shift: stats(3), runningMean: stats(8), runningVariance: stats(9), workspace: workspace) }
        let t1 = norm.transform(scale: stats(2), shift: stats(3))
        conv.forward(sources: [ActivationSource(raw1, transform: t1)], weights: w2, bias: bias, output: raw2,
                     workspace: workspace)
        timed { norm.trainingForward(raw: raw2, gamma: gamma, beta: beta, mean: stats(4), inverseStd: stats(5), scale: stats(6),
                             shift: stats(7), runningMean: stats(10), runningVariance: stats(11), workspace: workspace) }
        // Backward: BN2, conv2 (weights, input), BN1, conv1 (weights, input).
        timed { norm.backward(raw: raw2, activationGradient: upstream, gamma: gamma, mean: stats(4), inverseStd: stats(5),
                      scale: stats(6), shift: stats(7), rawGradient: gradientRaw, gammaGradient: &dGamma,
                      betaGradient: &dBeta, workspace: workspace) }
        conv.backwardWeights(sources: [ActivationSource(raw1, transform: t1)], outputGradient: gradientRaw,
                             weightGradient: &dw, biasGradient: &db, workspace: workspace)
        conv.backwardInput(outputGradient: gradientRaw, weights: w2, inputGradients: [gradientA], workspace: workspace)
        timed { norm.backward(raw: raw1, activationGradient: gradientA, gamma: gamma, mean: stats(0), inverseStd: stats(1),
                      scale: stats(2), shift: stats(3), rawGradient: gradientRaw, gammaGradient: &dGamma,
                      betaGradient: &dBeta, workspace: workspace) }
        conv.backwardWeights(sources: [ActivationSource(input)], outputGradient: gradientRaw, weightGradient: &dw,
                             biasGradient: &db, workspace: workspace)
        conv.backwardInput(outputGradient: gradientRaw, weights: w1, inputGradients: [gradientInput], workspace: workspace)
    }
    print("conv block \(channels)→\(channels) \(edge)³ fwd+bwd (fp16 activations, fp32 gradients, \(threads) threads): "
          + "\(String(format: "%.3f", time)) s, of which normalisation \(String(format: "%.3f", normalization)) s "
          + "(6 conv passes: \(format(6 * plan.flops / (time - normalization) * 1e-9)) GFLOP/s)")
}

private func format(_ v: Double) -> String { String(format: "%.1f", v) }

func seconds(repeats: Int, _ body: () -> Void) -> Double {
    var best = Double.infinity
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    }
    return best
}

/// `cblas_sgemm` of two n×n matrices, GFLOP/s, best of three.
func sgemmGFLOPS(size n: Int) -> Double {
    let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
    var c = [Float](repeating: 0, count: n * n)
    let time = seconds(repeats: 3) {
        Matrix.multiply(m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: &c, ldc: n)
    }
    return 2 * Double(n * n * n) / time * 1e-9
}

private func tileSgemmGFLOPS(m: Int, k: Int, n: Int) -> Double {
    let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
    var c = [Float](repeating: 0, count: m * n)
    let time = seconds(repeats: 10) { Matrix.multiply(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n) }
    return 2 * Double(m * n * k) / time * 1e-9
}

private func measureConvolution(_ plan: ConvolutionPlan) -> (forward: Double, inputGradient: Double, weightGradient: Double) {
    let inputCount = plan.batch * plan.extent.volume * plan.inputChannels
    let outputCount = plan.batch * plan.extent.volume * plan.outputChannels
    let input = UnsafeMutablePointer<Float16>.allocate(capacity: inputCount)
    let inputGradientStorage = UnsafeMutablePointer<Float16>.allocate(capacity: inputCount)
    let output = UnsafeMutablePointer<Float16>.allocate(capacity: outputCount)
    let gradient = UnsafeMutablePointer<Float16>.allocate(capacity: outputCount)
    let workspace = UnsafeMutableRawPointer.allocate(byteCount: plan.workspaceFloats * 4, alignment: 64)
    defer { input.deallocate(); inputGradientStorage.deallocate(); output.deallocate(); gradient.deallocate(); workspace.deallocate() }
    for i in 0..<inputCount { input[i] = Float16(Float(i % 17) * 0.1 - 0.8) }
    for i in 0..<outputCount { gradient[i] = Float16(Float(i % 13) * 0.01) }
    var weights = [Float](repeating: 0.01, count: plan.weightCount)
    var bias = [Float](repeating: 0, count: plan.outputChannels)
    func view(_ p: UnsafeMutablePointer<Float16>, _ c: Int) -> ActivationTensor {
        ActivationTensor(base: UnsafeMutableRawPointer(p), batch: plan.batch, extent: plan.extent, channels: c, element: .float16)
    }
    let conv = Convolution3D(plan: plan)
    let x = view(input, plan.inputChannels), y = view(output, plan.outputChannels), dy = view(gradient, plan.outputChannels)
    let dx = view(inputGradientStorage, plan.inputChannels)
    let forward = seconds(repeats: 3) {
        conv.forward(sources: [ActivationSource(x)], weights: weights, bias: bias, output: y, workspace: workspace)
    }
    let inputGradient = seconds(repeats: 3) {
        conv.backwardInput(outputGradient: dy, weights: weights, inputGradients: [dx], workspace: workspace)
    }
    let weightGradient = seconds(repeats: 3) {
        conv.backwardWeights(sources: [ActivationSource(x)], outputGradient: dy, weightGradient: &weights,
                             biasGradient: &bias, workspace: workspace)
    }
    return (plan.flops / forward * 1e-9, plan.flops / inputGradient * 1e-9, plan.flops / weightGradient * 1e-9)
}

/// `conv`: GFLOP/s of the 3×3×3 convolution passes beside sgemm 2048², measured in the same run.
enum ConvolutionBenchmark: Benchmark {
    static let name = "conv"
    static let summary = "Conv3D forward, input-gradient and weight-gradient GFLOP/s beside sgemm 2048²"
    static let usage = "[--threads 2] [--rounds 5] [--cases 16:16:128x128x128,64:64:32x32x32] (CIN:COUT:XxYxZ) "
        + "[--tile-floats 524288] (im2col floats per tile and worker) [--winograd 4|2|0] (z Winograd F(4,3) where z allows, at most F(2,3), or none) "
        + "[--unpacked-small-gemms 1|0] (default: whether OpenBLAS has small-matrix kernels here)"

    static func run(_ options: BenchOptions) throws -> Bool {
        try options.checkOnly(["threads", "rounds", "cases", "tile-floats", "winograd", "unpacked-small-gemms"])
        let text = options.string("cases", default: "16:16:128x128x128,64:64:32x32x32")
        let cases = try text.split(separator: ",").map { item -> (Int, Int, Extent3) in
            let parts = item.split(separator: ":")
            guard parts.count == 3, let cin = Int(parts[0]), let cout = Int(parts[1]), cin > 0, cout > 0,
                  let extent = Extent3(parsing: String(parts[2])) else {
                throw BenchOptions.UsageError(message: "--cases: '\(item)' is not CIN:COUT:XxYxZ")
            }
            return (cin, cout, extent)
        }
        let winograd = try options.int("winograd", default: 4, atLeast: 0)
        guard [0, 2, 4].contains(winograd) else {
            throw BenchOptions.UsageError(message: "--winograd: \(winograd) is not 4 (F(4,3)), 2 (F(2,3)) or 0 (off)")
        }
        runConvolutionBenchmark(threads: try options.int("threads", default: 2), cases: cases,
                                rounds: try options.int("rounds", default: 5),
                                tileFloats: try options.int("tile-floats", default: ConvolutionPlan.defaultTileFloats),
                                maximumWinogradOutputs: winograd,
                                unpackedSmallGemms: try options.int("unpacked-small-gemms",
                                                                    default: BLASCoreType.runsSmallGemmsUnpacked ? 1 : 0,
                                                                    atLeast: 0) != 0)
        return true
    }
}

/// `block`: forward + backward of one Conv-BN-ReLU ×2 block; the PyTorch side runs from scripts/.
enum ConvolutionBlockBenchmark: Benchmark {
    static let name = "block"
    static let summary = "forward + backward of one conv block (Conv-BN-ReLU x2)"
    static let usage = "[--threads 2] [--edge 128] [--channels 16]"

    static func run(_ options: BenchOptions) throws -> Bool {
        try options.checkOnly(["threads", "edge", "channels"])
        runConvolutionBlockBenchmark(threads: try options.int("threads", default: 2), edge: try options.int("edge", default: 128),
                                     channels: try options.int("channels", default: 16))
        return true
    }
}
