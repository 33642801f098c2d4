/// Runs the layer graph on the kernels — a training step, or in inference mode a forward pass to class
/// probabilities: one arena of the planned size, every tensor bound at its planned offset, parameters and
/// gradients in the `ParameterStore`. Nothing else of size is allocated during a step, so the plan's arena
/// bytes are the step's bytes.
final class Executor: @unchecked Sendable {
    let graph: LayerGraph
    let layout: ArenaLayout
    let parameters: ParameterStore
    var loss: SegmentationLoss = .dice
    private let arena: Arena
    /// The graph's operations in order, bound to their pointers once so that a step looks nothing up.
    private let operations: [BoundOperation]
    /// The operations' names in the graph, for the profile.
    private let names: [String]
    /// When set, every operation's time is added to it.
    var profile: StepProfile?
    private let logits: UnsafePointer<Float>

    /// `arena`: memory to run in instead of a fresh arena of `layout.size` (validation borrows the idle training
    /// arena this way); it must hold at least `layout.size` bytes and must not be used by anything else meanwhile.
    // The executor is used from one thread (the trainer's); kernels parallelise inside themselves.
    init(graph: LayerGraph, layout: ArenaLayout, parameters: ParameterStore, arena: Arena? = nil) throws {
        self.graph = graph
        self.layout = layout
        self.parameters = parameters
        if let arena {
            precondition(arena.size >= layout.size, "a borrowed arena of \(arena.size) B cannot hold \(layout.size) B")
            self.arena = arena
        } else {
            self.arena = try Arena(size: layout.size)
        }
        let binder = OperationBinder(graph: graph, layout: layout, arena: self.arena, parameters: parameters,
                                     imageTensor: graph.tensor(named: "image")!.id)
        let labelTensor = graph.tensor(named: "labels")?.id
        operations = graph.operations.map { BoundOperation($0, binder: binder, labelTensor: labelTensor) }
        names = graph.operations.map { $0.name }
        let logitsTensor = graph.tensors.first { $0.kind == .logits }!.id
        logits = UnsafePointer(binder.pointer(logitsTensor).assumingMemoryBound(to: Float.self))
    }

    /// Forward, loss and backward of one micro-batch: `image` is `(batch, x, y, z, c)` fp16 and `labels`
    /// `(batch, x, y, z)` class indices, as a `PatchBatch` holds them. Parameter gradients are added to the
    /// store's accumulators (so micro-batches accumulate); returns the loss.
    func trainStep(image: UnsafePointer<Float16>, labels: UnsafePointer<UInt8>) -> Double {
        precondition(graph.mode == .training, "trainStep needs a training graph")
        var value = 0.0
        for (op, name) in zip(operations, names) {
            value += run(op, name: name, image: image, labels: labels)
        }
        return value
    }

    /// Inference: class probabilities of a batch of windows, `image` `(batch, x, y, z, c)` fp16. Returns
    /// `(batch, x, y, z, classes)` fp32 inside the arena, valid until the next call.
    func forward(image: UnsafePointer<Float16>) -> UnsafePointer<Float> {
        precondition(graph.mode == .inference, "forward needs an inference graph")
        for (op, name) in zip(operations, names) {
            _ = run(op, name: name, image: image, labels: nil)
        }
        return logits
    }

    // MARK: Operations

    /// `labels` is nil for an inference graph, which has no loss.
    private func run(_ op: BoundOperation, name: String, image: UnsafePointer<Float16>, labels: UnsafePointer<UInt8>?) -> Double {
        let profile = self.profile
        switch op {
        case .convolution(let c): c.run(image: image, parameters: parameters, profile: profile, name: name)
        case .convolutionBackward(let c): c.run(image: image, profile: profile, name: name)
        case .maxPool(let p):
            StepProfile.measure(profile, name, .pooling, bytes: p.bytes) { p.run(image: image) }
        case .maxPoolBackward(let p):
            StepProfile.measure(profile, name, .pooling, bytes: p.bytes) { p.run(image: image) }
        case .transposedConvolution(let t):
            StepProfile.measure(profile, name, .upsampling, flops: t.kernel.flops, bytes: t.bytes) { t.run(image: image) }
        case .transposedConvolutionBackward(let t):
            StepProfile.measure(profile, name, .upsampling, flops: 2 * t.kernel.flops, bytes: t.bytes) { t.run(image: image) }
        case .softmax(let s):
            StepProfile.measure(profile, name, .loss, bytes: 2 * Double(s.logits.byteCount)) { s.probabilities(loss: loss) }
        case .softmaxLoss(let s):
            guard let labels else { preconditionFailure("a loss needs labels") }
            return StepProfile.measure(profile, name, .loss, bytes: 3 * Double(s.logits.byteCount)) {
                s.lossAndGradient(loss: loss, labels: labels)
            }
        }
        return 0
    }
}
