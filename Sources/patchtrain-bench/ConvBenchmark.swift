import Foundation
import PatchTrain

/// `patchtrain-bench conv`: GFLOP/s of the 3×3×3 convolution kernels beside plain sgemm 2048², measured back to back
/// in one process so that the ratio holds even on a busy machine (absolute numbers there are noisy).
func runConvolutionBenchmark(threads: Int = 2) {
    Matrix.setThreads(threads)
    for (channels, edge) in [(16, 128), (64, 32)] {
        // sgemm is measured again beside each case: on a shared machine the ratio is the number that holds.
        let sgemm = sgemmGFLOPS(size: 2048)
        print("sgemm 2048² (\(threads) threads): \(format(sgemm)) GFLOP/s")
        let plan = ConvolutionPlan(batch: 1, extent: Extent3(edge, edge, edge), inputChannels: channels,
                                   outputChannels: channels)
        let result = measureConvolution(plan)
        for (name, gflops) in [("forward", result.forward), ("input-grad", result.inputGradient),
                               ("weight-grad", result.weightGradient)] {
            print("conv3x3x3 \(channels)→\(channels) \(edge)³ fp16 \(name): \(format(gflops)) GFLOP/s "
                  + "(\(format(100 * gflops / sgemm))% of sgemm)")
        }
        let tile = plan.inputRowsPerTile * plan.extent.z
        print("  sgemm alone at the forward tile shape [\(channels) × \(27 * channels)]·[\(27 * channels) × \(tile)]: "
              + "\(format(tileSgemmGFLOPS(m: channels, k: 27 * channels, n: tile))) GFLOP/s")
        print("  workspace \(plan.workspaceFloats * 4 / 1024) KiB, \(plan.inputRowsPerTile) z-rows per tile")
    }
}

private func format(_ v: Double) -> String { String(format: "%.1f", v) }

private func seconds(repeats: Int, _ body: () -> Void) -> Double {
    var best = Double.infinity
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    }
    return best
}

private func sgemmGFLOPS(size n: Int) -> Double {
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
    let count = plan.batch * plan.extent.volume * plan.inputChannels
    let input = UnsafeMutablePointer<Float16>.allocate(capacity: count)
    let output = UnsafeMutablePointer<Float16>.allocate(capacity: count)
    let gradient = UnsafeMutablePointer<Float16>.allocate(capacity: count)
    let workspace = UnsafeMutableRawPointer.allocate(byteCount: plan.workspaceFloats * 4, alignment: 64)
    defer { input.deallocate(); output.deallocate(); gradient.deallocate(); workspace.deallocate() }
    for i in 0..<count { input[i] = Float16(Float(i % 17) * 0.1 - 0.8); gradient[i] = Float16(Float(i % 13) * 0.01) }
    var weights = [Float](repeating: 0.01, count: plan.weightCount)
    var bias = [Float](repeating: 0, count: plan.outputChannels)
    func view(_ p: UnsafeMutablePointer<Float16>, _ c: Int) -> ActivationTensor {
        ActivationTensor(base: UnsafeMutableRawPointer(p), batch: plan.batch, extent: plan.extent, channels: c, element: .float16)
    }
    let conv = Convolution3D(plan: plan)
    let x = view(input, plan.inputChannels), y = view(output, plan.outputChannels), dy = view(gradient, plan.outputChannels)
    let forward = seconds(repeats: 3) {
        conv.forward(sources: [ActivationSource(x)], weights: weights, bias: bias, output: y, workspace: workspace)
    }
    let inputGradient = seconds(repeats: 3) {
        conv.backwardInput(outputGradient: dy, weights: weights, inputGradients: [y], workspace: workspace)
    }
    let weightGradient = seconds(repeats: 3) {
        conv.backwardWeights(sources: [ActivationSource(x)], outputGradient: dy, weightGradient: &weights,
                             biasGradient: &bias, workspace: workspace)
    }
    return (plan.flops / forward * 1e-9, plan.flops / inputGradient * 1e-9, plan.flops / weightGradient * 1e-9)
}
