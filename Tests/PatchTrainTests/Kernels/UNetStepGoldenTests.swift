import Foundation
import Testing
import PatchTrain

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
            bias = max(bias, norm(gradient) / norm(weight))
            continue
        }
        let sample = fixture["grad_sample/" + name]!
        let stride = (gradient.count + 511) / 512
        let ours = Swift.stride(from: 0, to: gradient.count, by: stride).map { gradient[$0] }
        precondition(ours.count == sample.count, "\(name): \(ours.count) vs \(sample.count)")
        let sampleError = norm(zip(ours, sample).map { $0 - $1 }) / norm(sample)
        let reference = Double(fixture["grad_norm/" + name]![0])
        let error = max(sampleError, abs(norm(gradient) - reference) / reference)
        if ProcessInfo.processInfo.environment["UNET_STEP_VERBOSE"] != nil { print(name, reference, error) }
        if error > worst.0 { worst = (error, name) }
    }
    return (worst.0, worst.1, bias)
}

@Suite struct UNetStepGoldenTests {
    /// fp32 storage: the composition itself against PyTorch float64; only fp32 rounding (~1e-6 relative) remains.
    @Test(arguments: [NormalizationKind.batch, .instance])
    func float32StorageMatchesPyTorch(kind: NormalizationKind) throws {
        let fixture = try loadStepFixture(kind)
        let result = runUNetStep(kind: kind, element: .float32, gradientElement: .float32)
        #expect(abs(result.loss - Double(fixture["loss"]![0])) < 1e-6)
        let (error, name, bias) = gradientErrors(result, fixture)
        #expect(error < 1e-4, "worst gradient \(name): \(error)")
        #expect(bias < 1e-5)
        if kind == .batch {
            for (buffer, values) in result.buffers {
                #expect(worstError(values, fixture["buffer/" + buffer]!, atol: 1e-6, rtol: 1e-5) <= 1, "\(buffer)")
            }
        }
    }

    /// fp16 activations and fp32 activation gradients (DESIGN: gradients are never stored in fp16), as training runs.
    ///
    /// The loss moves by ~1e-7. The gradients of this tiny network are chaotic under rounding: in PyTorch alone
    /// (`make_unet_step.py --sensitivity`), rounding the stored tensors to fp16 moves the worst parameter gradient by
    /// 9% (BN) / 14% (IN), and jittering the values by 1e-7 relative before that rounding — the size of fp32-vs-fp64
    /// differences — moves it by another 6–7%. (Normalisation statistics at the deepest levels come from 2–16 values,
    /// and the Dice gradient of random labels is a small residual of large terms.) So no fp16 path can match any
    /// reference better than ~10% here; measured 10% (BN) / 15% (IN). Held to 25%: it catches a wrong kernel, which
    /// moves gradients by O(1), while the fp32 test above checks the composition to 1e-4.
    @Test(arguments: [NormalizationKind.batch, .instance])
    func float16ActivationsStayNearPyTorch(kind: NormalizationKind) throws {
        let fixture = try loadStepFixture(kind)
        let result = runUNetStep(kind: kind, element: .float16, gradientElement: .float32)
        #expect(abs(result.loss - Double(fixture["loss"]![0])) < 1e-5)
        let (error, name, bias) = gradientErrors(result, fixture)
        #expect(error < 0.25, "worst gradient \(name): \(error)")
        #expect(bias < 1e-4)
    }
}
