/// Resolves what the layer graph names — tensor ids, statistics ids, parameter names — to the pointers an
/// operation runs on: arena offsets and `ParameterStore` slots. Used once, when an `Executor` is built, so a step
/// looks nothing up.
struct OperationBinder {
    let graph: LayerGraph
    let layout: ArenaLayout
    let arena: Arena
    let parameters: ParameterStore
    /// The image is the caller's buffer, handed over each step; every other tensor lives in the arena.
    let imageTensor: Int

    var batch: Int { graph.microBatch }
    var normalization: NormalizationKind { graph.configuration.normalization }

    func pointer(_ id: Int) -> UnsafeMutableRawPointer { arena.base + layout.offsets[id]! }

    /// The op's scratch, or the arena's start for an op that needs none.
    func workspace(_ op: OperationSpec) -> UnsafeMutableRawPointer { op.workspace.map { pointer($0) } ?? arena.base }

    func extent(_ id: Int) -> Extent3 { let s = graph.tensors[id].shape; return Extent3(s[1], s[2], s[3]) }
    func channels(_ id: Int) -> Int { graph.tensors[id].shape[4] }

    /// A tensor in the arena (never the image, which is only ever read, through `source`).
    func tensor(_ id: Int) -> ActivationTensor {
        precondition(id != imageTensor, "the image is read through a source, not written")
        return tensor(id, base: pointer(id))
    }

    private func tensor(_ id: Int, base: UnsafeMutableRawPointer) -> ActivationTensor {
        let spec = graph.tensors[id]
        return ActivationTensor(base: base, batch: spec.shape[0], extent: extent(id), channels: spec.shape[4],
                                element: spec.elementType == .float16 ? .float16 : .float32)
    }

    func source(_ s: NormalizedSource) -> BoundSource {
        // The image has no arena offset: its base is the arena's start until each step's image replaces it.
        let readsImage = s.tensor == imageTensor
        let t = tensor(s.tensor, base: readsImage ? arena.base : pointer(s.tensor))
        guard let stats = s.statistics else { return BoundSource(source: ActivationSource(t), readsImage: readsImage) }
        let block = statistics(stats, channels: t.channels)
        let transform = NormalizedReLU(scale: block.scale, shift: block.shift, sampleStride: normalization == .batch ? 0 : t.channels)
        return BoundSource(source: ActivationSource(t, transform: transform), readsImage: readsImage)
    }

    /// Statistics block layout: mean, inverse std, scale, shift, each `count` floats.
    func statistics(_ id: Int, channels: Int) -> StatisticsBlock {
        let count = (normalization == .batch ? 1 : batch) * channels
        let p = pointer(id).bindMemory(to: Float.self, capacity: 4 * count)
        return StatisticsBlock(mean: p, inverseStd: p + count, scale: p + 2 * count, shift: p + 3 * count)
    }

    func normalizationKernel(for output: Int) -> Normalization {
        Normalization(kind: normalization, batch: batch, extent: extent(output), channels: channels(output))
    }

    func value(_ name: String) -> UnsafeMutablePointer<Float> { parameters.value(name).baseAddress! }
    func gradient(_ name: String) -> UnsafeMutablePointer<Float> { parameters.gradient(name).baseAddress! }

    /// A layer's `weight` and `bias`.
    func weights(_ prefix: String) -> LayerWeights {
        LayerWeights(weight: value("\(prefix).weight"), bias: value("\(prefix).bias"))
    }

    /// The gradient accumulators of a layer's `weight` and `bias`.
    func gradients(_ prefix: String) -> LayerWeights {
        LayerWeights(weight: gradient("\(prefix).weight"), bias: gradient("\(prefix).bias"))
    }
}

/// A source as the kernels read it; the image's base is filled in per step.
struct BoundSource {
    let source: ActivationSource
    let readsImage: Bool

    func resolved(image: UnsafePointer<Float16>) -> ActivationSource {
        guard readsImage else { return source }
        var s = source
        s.tensor.base = UnsafeMutableRawPointer(mutating: image)
        return s
    }
}

/// One normalisation's statistics in the arena, each `groups · channels` floats.
struct StatisticsBlock {
    let mean: UnsafeMutablePointer<Float>
    let inverseStd: UnsafeMutablePointer<Float>
    let scale: UnsafeMutablePointer<Float>
    let shift: UnsafeMutablePointer<Float>
}

/// A weight and a bias (or their gradients), fp32 in the parameter store.
struct LayerWeights {
    let weight: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>
}
