import Foundation
@testable import PatchTrain

/// The PyTorch reference of one small U-Net training step (`Fixtures/kernels/make_unet_step.py`): 16³ patch,
/// batch 2, 2 classes, base 4 filters. Parameters, image and labels are not stored: both sides generate them from
/// the same named streams.

struct UNetStepResult {
    var loss: Double
    var gradients: [String: [Float]]
    var buffers: [String: [Float]]
}

/// float16 values of SplitMix64 seeded by the FNV-1a hash of `name` (the fixture script's `stream`).
func namedStream(_ name: String, count: Int, lo: Double, hi: Double) -> [Float] {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    var random = TestRandom(seed: hash)
    return (0..<count).map { _ in Float(Float16(lo + (hi - lo) * Double(random.next() >> 40) / Double(1 << 24))) }
}

/// `unet_step_<kind>.npy` with its `.index` (name, offset, count per line).
func loadStepFixture(_ kind: NormalizationKind) throws -> [String: [Float]] {
    let name = "unet_step_" + (kind == .batch ? "batchnorm" : "instancenorm")
    let values = try GoldenFixture.values(name)
    let index = try String(contentsOf: GoldenFixture.folder.appendingPathComponent(name + ".index"), encoding: .utf8)
    var table = [String: [Float]]()
    for line in index.split(separator: "\n") {
        let parts = line.split(separator: " ")
        let offset = Int(parts[1])!, count = Int(parts[2])!
        table[String(parts[0])] = Array(values[offset..<(offset + count)])
    }
    return table
}

/// `difference / scale`; for a zero scale, 0 when the difference is 0 too and +infinity otherwise.
func relativeError(_ difference: Double, scale: Double) -> Double {
    scale > 0 ? difference / scale : (difference == 0 ? 0 : .infinity)
}

func norm(_ v: [Float]) -> Double { v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }

/// A convolution bias followed by normalisation has zero gradient in exact arithmetic (the normalisation removes
/// any shift), so PyTorch's is ~1e-18 and ours is the rounding noise of summing dL/dy over every voxel. Relative error
/// means nothing there; those are held to being small next to their layer's weight gradient instead.
func isCancelledBias(_ name: String) -> Bool { name.hasSuffix("net.0.bias") || name.hasSuffix("net.3.bias") }

/// Per parameter tensor, the larger of: the relative L2 error of the sampled gradient elements, and the relative error
/// of the whole gradient's L2 norm. Returns the worst tensor, and the worst cancelled-bias-to-weight norm ratio.
func gradientErrors(_ result: UNetStepResult, _ fixture: [String: [Float]]) -> (worst: Double, name: String, bias: Double) {
    var worst = (0.0, ""), bias = 0.0
    for (name, gradient) in result.gradients {
        if isCancelledBias(name) {
            let weight = result.gradients[name.replacingOccurrences(of: ".bias", with: ".weight")]!
            bias = finiteMaximum([bias, relativeError(norm(gradient), scale: norm(weight))])
            continue
        }
        let sample = fixture["grad_sample/" + name]!
        let stride = (gradient.count + 511) / 512
        let ours = Swift.stride(from: 0, to: gradient.count, by: stride).map { gradient[$0] }
        precondition(ours.count == sample.count, "\(name): \(ours.count) vs \(sample.count)")
        let reference = Double(fixture["grad_norm/" + name]![0])
        // Where PyTorch's gradient is exactly zero (instance norm over the 1-voxel bottleneck), or the sampled elements
        // all are (in the bottleneck only the 3×3×3 kernels' centre taps see data), a relative error would be 0/0:
        // the sample is then measured against the whole gradient's norm, and a zero gradient must be matched exactly.
        let sampleScale = norm(sample) > 0 ? norm(sample) : reference
        let sampleError = relativeError(norm(zip(ours, sample).map { $0 - $1 }), scale: sampleScale)
        let error = finiteMaximum([sampleError, relativeError(abs(norm(gradient) - reference), scale: reference)])
        if ProcessInfo.processInfo.environment["UNET_STEP_VERBOSE"] != nil { print(name, reference, error) }
        if error > worst.0 { worst = (error, name) }
    }
    return (worst.0, worst.1, bias)
}

