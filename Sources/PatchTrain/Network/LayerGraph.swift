/// The network as data: every persistent parameter and, for one training step at a given patch and
/// micro-batch, every transient tensor and every operation in execution order (forward, loss, backward) —
/// or, in inference mode, for one forward pass over a batch of windows (forward and softmax, nothing saved
/// for a backward pass). The memory planner counts exactly these tensors and the executor runs exactly these
/// operations, so the plan cannot drift from what runs.
public struct LayerGraph: Hashable, Codable, Sendable {
    public private(set) var configuration: UNetConfiguration
    public private(set) var patch: Extent3
    public private(set) var microBatch: Int
    /// Storage of the saved activations: fp16 in training; fp32 where a test checks the arithmetic without
    /// fp16 rounding in the way.
    public private(set) var activationType: ElementType = .float16
    /// Per-block recomputation (activation checkpointing): each block's first convolution output is not kept
    /// for the backward pass but computed again, just before the block's backward, from the block's inputs.
    public private(set) var recomputation = false
    /// Training step or forward-only inference.
    public private(set) var mode: GraphMode = .training
    public private(set) var parameters: [ParameterSpec] = []
    public private(set) var tensors: [TensorSpec] = []
    public private(set) var operations: [OperationSpec] = []

    /// Builds the training step of the U-Net. `workspaceBytes` gives each operation's scratch size (the
    /// kernels own that formula); the patch edges must be positive multiples of `configuration.patchMultiple`.
    public init(configuration: UNetConfiguration, patch: Extent3, microBatch: Int, activationType: ElementType = .float16,
                recomputation: Bool = false, mode: GraphMode = .training,
                workspaceBytes: @escaping (OperationKind, LayerGraph) -> Int = KernelWorkspace.bytes) {
        precondition(activationType == .float16 || activationType == .float32, "activations are stored as fp16 or fp32")
        precondition(microBatch >= 1, "micro-batch must be at least 1")
        precondition(configuration.accepts(patch: patch),
                     "patch \(patch) must be a positive multiple of \(configuration.patchMultiple) on each axis")
        self.configuration = configuration
        self.patch = patch
        self.microBatch = microBatch
        self.activationType = activationType
        self.recomputation = recomputation && mode == .training
        self.mode = mode
        var builder = LayerGraphBuilder(graph: self, workspaceBytes: workspaceBytes)
        builder.build()
        self = builder.graph
    }

    public func tensor(named name: String) -> TensorSpec? { tensors.first { $0.name == name } }

    /// Spatial extent at a level (0 = full resolution).
    public func extent(atLevel level: Int) -> Extent3 {
        Extent3(patch.x >> level, patch.y >> level, patch.z >> level)
    }

    mutating func append(tensor: TensorSpec) { tensors.append(tensor) }
    mutating func append(operation: OperationSpec) { operations.append(operation) }
    mutating func append(parameter: ParameterSpec) { parameters.append(parameter) }
}

/// What a layer graph computes.
public enum GraphMode: String, Hashable, Codable, Sendable {
    /// Forward, loss and backward of one micro-batch; batch norm measures batch statistics.
    case training
    /// Forward and softmax only; batch norm reads its running statistics, and every activation is freed as soon
    /// as its last consumer has run (nothing is kept for a backward pass). The probabilities overwrite the logits.
    case inference
}

extension LayerGraph: CustomStringConvertible {
    public var description: String {
        "LayerGraph(\(mode) \(configuration.baseFilters)-filter U-Net, depth \(configuration.depth), \(configuration.normalization), patch \(patch), micro-batch \(microBatch), \(operations.count) operations)"
    }
}
