import Foundation

/// A quick measure of this machine's convolution throughput, for the plan's predicted step time: one 3×3×3
/// convolution (16 → 16 channels, 64³) forward, the best of ten (the best of three varied by ±15% with the
/// cores' clocks and threads waking). About a quarter of a second.
public enum ThroughputProbe {
    /// The share of the probe's rate a whole training step reaches: measured at micro-batch 2, a 64³ step took
    /// 1.35 s and a 128×128×96 step 8.4 s, where the probe's rate alone predicts 0.78 s and 4.7 s (2-core Xeon
    /// Sapphire Rapids; the rest is normalisation, pooling, the loss and the optimizer, which the probe does not time).
    public static let trainingShare = 0.58

    /// The training throughput a step-time estimate uses, FLOP/s: the probe scaled by `trainingShare`, averaged
    /// over the ranks of a data-parallel run so that every rank plans the same patch.
    public static func trainingFLOPS(communicator: any Communicator = SingleProcess()) throws -> Double {
        let mean = try communicator.sum([convolutionGFLOPS()])[0] / Double(max(communicator.size, 1))
        return mean * 1e9 * trainingShare
    }

    public static func convolutionGFLOPS() -> Double {
        let extent = Extent3(64, 64, 64), channels = 16
        let plan = ConvolutionPlan(batch: 1, extent: extent, inputChannels: channels, outputChannels: channels)
        let count = extent.volume * channels
        let input = UnsafeMutablePointer<Float16>.allocate(capacity: count)
        let output = UnsafeMutablePointer<Float16>.allocate(capacity: count)
        let weights = [Float](repeating: 0.01, count: plan.weightCount), bias = [Float](repeating: 0, count: channels)
        let workspace = UnsafeMutableRawPointer.allocate(byteCount: plan.workspaceFloats * 4, alignment: 64)
        defer {
            input.deallocate()
            output.deallocate()
            workspace.deallocate()
        }
        input.initialize(repeating: 0.5, count: count)
        let source = ActivationSource(ActivationTensor(base: input, batch: 1, extent: extent, channels: channels, element: .float16))
        let target = ActivationTensor(base: output, batch: 1, extent: extent, channels: channels, element: .float16)
        let convolution = Convolution3D(plan: plan)
        var best = Double.infinity
        for _ in 0..<10 {
            let start = Date()
            convolution.forward(sources: [source], weights: weights, bias: bias, output: target, workspace: workspace)
            best = min(best, Date().timeIntervalSince(start))
        }
        return plan.flops / best / 1e9
    }
}
