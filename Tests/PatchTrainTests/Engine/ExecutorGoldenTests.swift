import Foundation
import Testing
@testable import PatchTrain

/// The executor — the layer graph run on the kernels in one arena — against PyTorch float64's training step of
/// the same small U-Net (`Fixtures/kernels/make_unet_step.py`: 16³ patch, batch 2, 2 classes, base 4 filters).
/// Parameters, image and labels come from the fixture script's named streams, so both sides start equal.
@Suite(.kernelExclusive) struct ExecutorGoldenTests {
    static func run(_ kind: NormalizationKind, activations: ElementType, recomputation: Bool = false) throws -> UNetStepResult {
        let configuration = UNetConfiguration(inputChannels: 1, classes: 2, baseFilters: 4, depth: 4, normalization: kind)
        let graph = LayerGraph(configuration: configuration, patch: Extent3(16, 16, 16), microBatch: 2, activationType: activations,
                               recomputation: recomputation)
        let store = ParameterStore(specs: graph.parameters)
        for spec in graph.parameters where spec.elementType == .float32 {
            store.setPyTorchValues(spec.name, initialValue(spec))
        }
        let executor = try Executor(graph: graph, layout: ArenaLayout(graph: graph), parameters: store)
        let voxels = 2 * 16 * 16 * 16
        let image = namedStream("image", count: voxels, lo: -1, hi: 1).map { Float16($0) }
        let labels = namedStream("labels", count: voxels, lo: 0, hi: 1).map { UInt8($0 >= 0.5 ? 1 : 0) }
        let loss = image.withUnsafeBufferPointer { i in
            labels.withUnsafeBufferPointer { l in executor.trainStep(image: i.baseAddress!, labels: l.baseAddress!) }
        }
        var gradients = [String: [Float]](), buffers = [String: [Float]]()
        for spec in graph.parameters {
            if spec.trainable { gradients[spec.name] = store.pyTorchGradient(spec.name) }
            if spec.name.hasSuffix("running_mean") || spec.name.hasSuffix("running_var") {
                buffers[spec.name] = store.pyTorchValues(spec.name)
            }
        }
        return UNetStepResult(loss: loss, gradients: gradients, buffers: buffers)
    }

    /// The fixture script's initial values: convolutions uniform in ±1/√fan_in by name, normalisation scale in
    /// [0.8, 1.2] and shift in [−0.1, 0.1], running statistics 0 and 1.
    static func initialValue(_ spec: ParameterSpec) -> [Float] {
        let name = spec.name
        if name.hasSuffix("running_mean") { return [Float](repeating: 0, count: spec.elements) }
        if name.hasSuffix("running_var") { return [Float](repeating: 1, count: spec.elements) }
        if name.contains(".net.1.") || name.contains(".net.4.") {
            return name.hasSuffix(".weight") ? namedStream(name, count: spec.elements, lo: 0.8, hi: 1.2)
                                             : namedStream(name, count: spec.elements, lo: -0.1, hi: 0.1)
        }
        let module = String(name.dropLast(name.hasSuffix(".weight") ? ".weight".count : ".bias".count))
        let fanIn: Int
        if module.hasPrefix("up.") {
            fanIn = upOutputChannels(module) * 8
        } else if module == "out" {
            fanIn = 4
        } else {
            fanIn = convolutionInputChannels(module) * 27
        }
        let bound = 1 / Double(fanIn).squareRoot()
        return namedStream(name, count: spec.elements, lo: -bound, hi: bound)
    }

    static let filters = [4, 8, 16, 32]
    static func upOutputChannels(_ module: String) -> Int { filters[3 - Int(module.split(separator: ".")[1])!] }
    static func convolutionInputChannels(_ module: String) -> Int {
        let parts = module.split(separator: ".")
        let second = parts.last == "3"
        switch parts[0] {
        case "enc":
            let i = Int(parts[1])!
            return second ? filters[i] : (i == 0 ? 1 : filters[i - 1])
        case "bott": return second ? 64 : 32
        default:
            let f = filters[3 - Int(parts[1])!]
            return second ? f : 2 * f
        }
    }

    /// fp32 storage: the executor's wiring against PyTorch float64 to fp32 rounding.
    @Test(arguments: [NormalizationKind.batch, .instance])
    func float32StorageMatchesPyTorch(kind: NormalizationKind) throws {
        let fixture = try loadStepFixture(kind)
        let result = try ExecutorGoldenTests.run(kind, activations: .float32)
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

    /// fp16 activations and fp32 activation gradients, as training runs (gradients are never stored in fp16).
    ///
    /// The loss moves by ~1e-7. The gradients of this tiny network are chaotic under rounding: in PyTorch alone
    /// (`make_unet_step.py --sensitivity`), rounding the stored tensors to fp16 moves the worst parameter gradient by
    /// 9% (BN) / 14% (IN), and jittering the values by 1e-7 relative before that rounding — the size of fp32-vs-fp64
    /// differences — moves it by another 6–7%. (Normalisation statistics at the deepest levels come from 2–16 values,
    /// and the Dice gradient of random labels is a small residual of large terms.) So no fp16 path can match any
    /// reference better than ~10% here; measured 10% (BN) / 15% (IN). Held to 25%: it catches a wrong kernel or a
    /// wrong binding, which moves gradients by O(1), while the fp32 test above checks the wiring to 1e-4.
    @Test(arguments: [NormalizationKind.batch, .instance])
    func float16ActivationsStayNearPyTorch(kind: NormalizationKind) throws {
        let fixture = try loadStepFixture(kind)
        let result = try ExecutorGoldenTests.run(kind, activations: .float16)
        #expect(abs(result.loss - Double(fixture["loss"]![0])) < 1e-5)
        let (error, name, bias) = gradientErrors(result, fixture)
        #expect(error < 0.25, "worst gradient \(name): \(error)")
        #expect(bias < 1e-4)
    }

    /// Recomputing each block's first convolution in the backward pass changes where bytes live, not the
    /// arithmetic: the step still matches PyTorch to fp32 rounding, and the running statistics (updated in the
    /// forward pass only, not again by the recomputation) match too.
    @Test(arguments: [NormalizationKind.batch, .instance])
    func recomputationMatchesPyTorch(kind: NormalizationKind) throws {
        let fixture = try loadStepFixture(kind)
        let result = try ExecutorGoldenTests.run(kind, activations: .float32, recomputation: true)
        #expect(abs(result.loss - Double(fixture["loss"]![0])) < 1e-6)
        let (error, name, bias) = gradientErrors(result, fixture)
        #expect(error < 1e-4, "worst gradient \(name): \(error)")
        #expect(bias < 1e-5)
        for (buffer, values) in result.buffers {
            #expect(worstError(values, fixture["buffer/" + buffer]!, atol: 1e-6, rtol: 1e-5) <= 1, "\(buffer)")
        }
    }
}
