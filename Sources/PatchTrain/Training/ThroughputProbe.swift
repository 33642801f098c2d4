import Foundation

/// A quick measure of this machine's convolution throughput, for the plan's predicted step time: one 3×3×3
/// convolution (16 → 16 channels, 64³) forward, timed after a warm-up. About a tenth of a second.
public enum ThroughputProbe {
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
        for _ in 0..<3 {
            let start = Date()
            convolution.forward(sources: [source], weights: weights, bias: bias, output: target, workspace: workspace)
            best = min(best, Date().timeIntervalSince(start))
        }
        return plan.flops / best / 1e9
    }
}
