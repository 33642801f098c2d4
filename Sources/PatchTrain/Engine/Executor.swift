/// Runs the layer graph on the kernels — a training step, or in inference mode a forward pass to class
/// probabilities: one arena of the planned size, every tensor bound at its planned offset, parameters and
/// gradients in the `ParameterStore`. Nothing else of size is allocated during a step, so the plan's arena
/// bytes are the step's bytes.
public final class Executor: @unchecked Sendable {
    public let graph: LayerGraph
    public let layout: ArenaLayout
    public let parameters: ParameterStore
    public var loss: SegmentationLoss = .dice
    private let arena: Arena
    private let imageTensor: Int
    private let labelTensor: Int?
    private let logitsTensor: Int

    /// `arena`: memory to run in instead of a fresh arena of `layout.size` (validation borrows the idle training
    /// arena this way); it must hold at least `layout.size` bytes and must not be used by anything else meanwhile.
    // The executor is used from one thread (the trainer's); kernels parallelise inside themselves.
    public init(graph: LayerGraph, layout: ArenaLayout, parameters: ParameterStore, arena: Arena? = nil) throws {
        self.graph = graph
        self.layout = layout
        self.parameters = parameters
        if let arena {
            precondition(arena.size >= layout.size, "a borrowed arena of \(arena.size) B cannot hold \(layout.size) B")
            self.arena = arena
        } else {
            self.arena = try Arena(size: layout.size)
        }
        imageTensor = graph.tensor(named: "image")!.id
        labelTensor = graph.tensor(named: "labels")?.id
        logitsTensor = graph.tensors.first { $0.kind == .logits }!.id
    }

    /// Forward, loss and backward of one micro-batch: `image` is `(batch, x, y, z, c)` fp16 and `labels`
    /// `(batch, x, y, z)` class indices, as a `PatchBatch` holds them. Parameter gradients are added to the
    /// store's accumulators (so micro-batches accumulate); returns the loss.
    public func trainStep(image: UnsafePointer<Float16>, labels: UnsafePointer<UInt8>) -> Double {
        precondition(graph.mode == .training, "trainStep needs a training graph")
        var value = 0.0
        for op in graph.operations {
            value += run(op, image: image, labels: labels)
        }
        return value
    }

    /// Inference: class probabilities of a batch of windows, `image` `(batch, x, y, z, c)` fp16. Returns
    /// `(batch, x, y, z, classes)` fp32 inside the arena, valid until the next call.
    public func forward(image: UnsafePointer<Float16>) -> UnsafePointer<Float> {
        precondition(graph.mode == .inference, "forward needs an inference graph")
        for op in graph.operations {
            _ = run(op, image: image, labels: nil)
        }
        return UnsafePointer(pointer(logitsTensor).assumingMemoryBound(to: Float.self))
    }

    // MARK: Binding

    private var normalization: NormalizationKind { graph.configuration.normalization }

    private func pointer(_ id: Int) -> UnsafeMutableRawPointer { arena.base + layout.offsets[id]! }

    private func tensor(_ id: Int, image: UnsafePointer<Float16>) -> ActivationTensor {
        let spec = graph.tensors[id]
        let base = id == imageTensor ? UnsafeMutableRawPointer(mutating: image) : pointer(id)
        return ActivationTensor(base: base, batch: spec.shape[0], extent: Extent3(spec.shape[1], spec.shape[2], spec.shape[3]),
                                channels: spec.shape[4], element: spec.elementType == .float16 ? .float16 : .float32)
    }

    private func extent(_ id: Int) -> Extent3 { let s = graph.tensors[id].shape; return Extent3(s[1], s[2], s[3]) }
    private func channels(_ id: Int) -> Int { graph.tensors[id].shape[4] }

    /// Statistics block layout: mean, inverse std, scale, shift, each `count` floats.
    private func statistics(_ id: Int, channels: Int) -> (mean: UnsafeMutablePointer<Float>, inverseStd: UnsafeMutablePointer<Float>,
                                                          scale: UnsafeMutablePointer<Float>, shift: UnsafeMutablePointer<Float>) {
        let count = (normalization == .batch ? 1 : graph.microBatch) * channels
        let p = pointer(id).bindMemory(to: Float.self, capacity: 4 * count)
        return (p, p + count, p + 2 * count, p + 3 * count)
    }

    private func source(_ s: NormalizedSource, image: UnsafePointer<Float16>) -> ActivationSource {
        let t = tensor(s.tensor, image: image)
        guard let stats = s.statistics else { return ActivationSource(t) }
        let block = statistics(stats, channels: t.channels)
        let transform = NormalizedReLU(scale: block.scale, shift: block.shift, sampleStride: normalization == .batch ? 0 : t.channels)
        return ActivationSource(t, transform: transform)
    }

    private func normalizationKernel(for output: Int) -> Normalization {
        Normalization(kind: normalization, batch: graph.microBatch, extent: extent(output), channels: channels(output))
    }

    private func weights(_ name: String) -> UnsafeMutablePointer<Float> { parameters.value(name).baseAddress! }
    private func gradient(_ name: String) -> UnsafeMutablePointer<Float> { parameters.gradient(name).baseAddress! }

    // MARK: Operations

    /// `labels` is nil for an inference graph, which has no loss.
    private func run(_ op: OperationSpec, image: UnsafePointer<Float16>, labels: UnsafePointer<UInt8>?) -> Double {
        let workspace = op.workspace.map { pointer($0) } ?? arena.base
        let batch = graph.microBatch
        switch op.kind {
        case .convolution(let kernel, let sources, let output, let stats, let parameters, let normalizationName):
            let inputs = sources.map { source($0, image: image) }
            let out = tensor(output, image: image)
            let cin = inputs.reduce(0) { $0 + $1.channels }
            if kernel == 3 {
                Convolution3D(plan: ConvolutionPlan(batch: batch, extent: out.extent, inputChannels: cin, outputChannels: out.channels))
                    .forward(sources: inputs, weights: weights("\(parameters).weight"), bias: weights("\(parameters).bias"),
                             output: out, workspace: workspace)
            } else {
                PointwiseConvolution3D(batch: batch, extent: out.extent, inputChannels: cin, outputChannels: out.channels)
                    .forward(source: inputs[0], weights: weights("\(parameters).weight"), bias: weights("\(parameters).bias"),
                             output: out, workspace: workspace)
            }
            if let stats, let name = normalizationName, graph.mode == .inference, normalization == .batch {
                // Inference batch norm: the running averages, as PyTorch's eval() and Keras' predict use them.
                let block = statistics(stats, channels: out.channels)
                normalizationKernel(for: output).inferenceTransform(
                    gamma: weights("\(name).weight"), beta: weights("\(name).bias"),
                    runningMean: weights("\(name).running_mean"), runningVariance: weights("\(name).running_var"),
                    scale: block.scale, shift: block.shift)
            } else if let stats, let name = normalizationName {
                let block = statistics(stats, channels: out.channels)
                let running = normalization == .batch && graph.mode == .training
                normalizationKernel(for: output).trainingForward(
                    raw: out, gamma: weights("\(name).weight"), beta: weights("\(name).bias"),
                    mean: block.mean, inverseStd: block.inverseStd, scale: block.scale, shift: block.shift,
                    runningMean: running ? weights("\(name).running_mean") : nil,
                    runningVariance: running ? weights("\(name).running_var") : nil, workspace: workspace)
                if running {
                    let counter = "\(name).num_batches_tracked"
                    self.parameters.setCounter(counter, self.parameters.counter(counter) + 1)
                }
            }
            return 0

        case .convolutionBackward(let kernel, let sources, let output, let stats, let parameters, let normalizationName,
                                  let outputGradient, let sourceGradients):
            let inputs = sources.map { source($0, image: image) }
            let grad = tensor(outputGradient, image: image)
            if let stats, let name = normalizationName {
                // dL/da → dL/dy in place: the kernel reads and writes each chunk before the next.
                let block = statistics(stats, channels: grad.channels)
                normalizationKernel(for: output).backward(
                    raw: tensor(output, image: image), activationGradient: grad, gamma: weights("\(name).weight"),
                    mean: block.mean, inverseStd: block.inverseStd, scale: block.scale, shift: block.shift,
                    rawGradient: grad, gammaGradient: gradient("\(name).weight"), betaGradient: gradient("\(name).bias"),
                    workspace: workspace)
            }
            let cin = inputs.reduce(0) { $0 + $1.channels }
            let targets = sourceGradients.compactMap { $0 }.map { tensor($0, image: image) }
            if kernel == 3 {
                let conv = Convolution3D(plan: ConvolutionPlan(batch: batch, extent: grad.extent, inputChannels: cin, outputChannels: grad.channels))
                conv.backwardWeights(sources: inputs, outputGradient: grad, weightGradient: gradient("\(parameters).weight"),
                                     biasGradient: gradient("\(parameters).bias"), workspace: workspace)
                if !targets.isEmpty {
                    precondition(targets.count == sources.count, "a convolution needs the gradients of all its sources or none")
                    conv.backwardInput(outputGradient: grad, weights: weights("\(parameters).weight"), inputGradients: targets,
                                       workspace: workspace)
                }
            } else {
                let conv = PointwiseConvolution3D(batch: batch, extent: grad.extent, inputChannels: cin, outputChannels: grad.channels)
                conv.backwardWeights(source: inputs[0], outputGradient: grad, weightGradient: gradient("\(parameters).weight"),
                                     biasGradient: gradient("\(parameters).bias"), workspace: workspace)
                if let target = targets.first {
                    conv.backwardInput(outputGradient: grad, weights: weights("\(parameters).weight"), inputGradient: target,
                                       workspace: workspace)
                }
            }
            return 0

        case .maxPool(let s, let output):
            let input = source(s, image: image)
            MaxPool3D(batch: batch, inputExtent: input.tensor.extent, channels: input.channels)
                .forward(source: input, output: tensor(output, image: image), workspace: workspace)
            return 0

        case .maxPoolBackward(let s, let outputGradient, let sourceGradient, let accumulate):
            let input = source(s, image: image)
            MaxPool3D(batch: batch, inputExtent: input.tensor.extent, channels: input.channels)
                .backward(source: input, outputGradient: tensor(outputGradient, image: image),
                          inputGradient: tensor(sourceGradient, image: image), accumulate: accumulate, workspace: workspace)
            return 0

        case .transposedConvolution(let s, let output, let parameters):
            let input = source(s, image: image)
            let out = tensor(output, image: image)
            TransposedConvolution3D(batch: batch, inputExtent: input.tensor.extent, inputChannels: input.channels,
                                    outputChannels: out.channels)
                .forward(source: input, weights: weights("\(parameters).weight"), bias: weights("\(parameters).bias"),
                         output: out, workspace: workspace)
            return 0

        case .transposedConvolutionBackward(let s, let outputGradient, let sourceGradient, let parameters):
            let input = source(s, image: image)
            let grad = tensor(outputGradient, image: image)
            let layer = TransposedConvolution3D(batch: batch, inputExtent: input.tensor.extent, inputChannels: input.channels,
                                                outputChannels: grad.channels)
            layer.backwardWeights(source: input, outputGradient: grad, weightGradient: gradient("\(parameters).weight"),
                                  biasGradient: gradient("\(parameters).bias"), workspace: workspace)
            layer.backwardInput(outputGradient: grad, weights: weights("\(parameters).weight"),
                                inputGradient: tensor(sourceGradient, image: image), workspace: workspace)
            return 0

        case .softmax(let logitsID):
            let logits = tensor(logitsID, image: image)
            SoftmaxLoss(loss: loss, batch: batch, extent: logits.extent, classes: logits.channels)
                .probabilities(logits: logits, into: logits, workspace: workspace)
            return 0

        case .softmaxLoss(let logitsID, let labelsID):
            precondition(labelsID == labelTensor)
            guard let labels else { preconditionFailure("a loss needs labels") }
            let logits = tensor(logitsID, image: image)
            // The gradient overwrites the logits chunk by chunk, after each chunk's softmax is taken.
            return SoftmaxLoss(loss: loss, batch: batch, extent: logits.extent, classes: logits.channels)
                .evaluate(logits: logits, labels: labels, logitGradient: logits, workspace: workspace)
        }
    }
}
