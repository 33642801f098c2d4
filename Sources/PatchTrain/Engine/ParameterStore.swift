/// The network's persistent memory, laid out from the layer graph's parameter list: fp32 master weights,
/// fp32 gradient accumulators (twice when a step accumulates micro-batches), Adam's two moments (trainable
/// parameters only), the running statistics and the `num_batches_tracked` counters, a copy of those statistics
/// taken at each step's start, and the checkpoint scratch. Each block is one allocation whose size
/// `PersistentMemory` predicts.
public final class ParameterStore: @unchecked Sendable {
    public let specs: [ParameterSpec]
    /// Element offset of each float parameter in `values` (trainable ones first, so gradients and moments
    /// cover the prefix `0..<trainableCount`); nil for the int64 counters.
    public let offsets: [Int?]
    public let trainableCount: Int
    /// Whether gradients and moments exist (false for an inference-only store).
    public let isTraining: Bool
    public let floatCount: Int

    public let values: UnsafeMutablePointer<Float>
    public let gradients: UnsafeMutablePointer<Float>
    public let firstMoments: UnsafeMutablePointer<Float>
    public let secondMoments: UnsafeMutablePointer<Float>
    /// The sum of the step's finished micro-batch gradients while the executor writes the next one's into
    /// `gradients` (nil when a step has one micro-batch). A step's gradient is then a sum of finished gradients,
    /// in the order N data-parallel ranks' allreduce adds theirs, so one process accumulating N micro-batches
    /// and N ranks of one micro-batch each compute the same fp32 gradient, bit for bit (for N = 2).
    private let earlierMicroBatches: UnsafeMutablePointer<Float>?
    /// The buffers checkpoints pass through, so saving allocates nothing of size (`PersistentMemory` counts them).
    public let checkpointScratch: CheckpointScratch
    /// `num_batches_tracked` of each batch-norm layer, by parameter index.
    public private(set) var counters: [Int: Int64] = [:]
    /// The running statistics and counters as they were when the current step began (see `markStepStart`).
    private let stepStartStatistics: UnsafeMutablePointer<Float>
    private var stepStartCounters: [Int: Int64] = [:]
    private let index: [String: Int]

    // The store is shared by the executor (reads weights, adds gradients) and the optimizer, which run one
    // after another on the training thread; nothing here is touched concurrently.
    /// `training: false` (inference) allocates no gradient or moment storage: only the values and the scratch.
    /// `accumulatesMicroBatches` adds the buffer of finished micro-batch gradients (`PersistentMemory` counts it).
    public init(specs: [ParameterSpec], training: Bool = true, accumulatesMicroBatches: Bool = false) {
        self.specs = specs
        var offsets = [Int?](repeating: nil, count: specs.count)
        var next = 0
        for (i, s) in specs.enumerated() where s.trainable && s.elementType == .float32 {
            offsets[i] = next
            next += s.elements
        }
        trainableCount = next
        for (i, s) in specs.enumerated() where !s.trainable && s.elementType == .float32 {
            offsets[i] = next
            next += s.elements
        }
        floatCount = next
        self.offsets = offsets
        values = .allocate(capacity: max(floatCount, 1))
        values.initialize(repeating: 0, count: max(floatCount, 1))
        let optimizerCount = training ? max(trainableCount, 1) : 1
        gradients = .allocate(capacity: optimizerCount)
        gradients.initialize(repeating: 0, count: optimizerCount)
        firstMoments = .allocate(capacity: optimizerCount)
        firstMoments.initialize(repeating: 0, count: optimizerCount)
        secondMoments = .allocate(capacity: optimizerCount)
        secondMoments.initialize(repeating: 0, count: optimizerCount)
        if training && accumulatesMicroBatches {
            let earlier = UnsafeMutablePointer<Float>.allocate(capacity: optimizerCount)
            earlier.initialize(repeating: 0, count: optimizerCount)
            earlierMicroBatches = earlier
        } else {
            earlierMicroBatches = nil
        }
        isTraining = training
        checkpointScratch = CheckpointScratch(largestParameterElements: ParameterStore.largestParameterElements(specs))
        let statisticsCount = training ? max(floatCount - trainableCount, 1) : 1
        stepStartStatistics = .allocate(capacity: statisticsCount)
        stepStartStatistics.initialize(repeating: 0, count: statisticsCount)
        var index: [String: Int] = [:]
        for (i, s) in specs.enumerated() {
            index[s.name] = i
            if s.elementType == .int64 { counters[i] = 0 }
        }
        self.index = index
        stepStartCounters = counters
    }

    deinit {
        values.deallocate()
        gradients.deallocate()
        firstMoments.deallocate()
        secondMoments.deallocate()
        earlierMicroBatches?.deallocate()
        stepStartStatistics.deallocate()
    }

    static func largestParameterElements(_ specs: [ParameterSpec]) -> Int {
        specs.filter { $0.elementType == .float32 }.map(\.elements).max() ?? 0
    }

    /// A parameter's values in PyTorch's order, in a scratch buffer valid until the next call (one thread).
    public func withPyTorchValues<R>(_ name: String, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try withPyTorchOrder(of: .values, name, body)
    }

    /// The per-parameter blocks a checkpoint saves.
    public enum Block: Sendable {
        case values, firstMoments, secondMoments
    }

    private func base(of block: Block) -> UnsafeMutablePointer<Float> {
        switch block {
        case .values: return values
        case .firstMoments: return firstMoments
        case .secondMoments: return secondMoments
        }
    }

    /// A parameter's slice of `block` in PyTorch's order, in the checkpoint scratch (valid until its next use).
    /// Moments exist for trainable parameters only.
    public func withPyTorchOrder<R>(of block: Block, _ name: String, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        let i = index[name]!
        let spec = specs[i]
        precondition(block == .values || spec.trainable, "\(name) has no optimizer moments")
        let scratch = checkpointScratch.conversion.baseAddress!
        spec.layout.toPyTorch(base(of: block) + offsets[i]!, into: scratch, shape: spec.shape)
        return try body(UnsafeBufferPointer(start: scratch, count: spec.elements))
    }

    /// Sets a parameter's slice of `block` from values `fill` writes in PyTorch's order into the checkpoint
    /// scratch (so loading, like saving, allocates nothing of size). Nothing is set if `fill` throws.
    public func setFromPyTorchOrder(of block: Block, _ name: String, _ fill: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        let i = index[name]!
        let spec = specs[i]
        precondition(block == .values || spec.trainable, "\(name) has no optimizer moments")
        let scratch = UnsafeMutableBufferPointer(rebasing: checkpointScratch.conversion[0..<spec.elements])
        try fill(scratch)
        spec.layout.fromPyTorch(scratch.baseAddress!, into: base(of: block) + offsets[i]!, shape: spec.shape)
    }

    public func indexOf(_ name: String) -> Int? { index[name] }

    /// The fp32 values of a parameter by its state_dict name.
    public func value(_ name: String) -> UnsafeMutableBufferPointer<Float> {
        let i = index[name]!
        return UnsafeMutableBufferPointer(start: values + offsets[i]!, count: specs[i].elements)
    }

    /// The gradient accumulator of a trainable parameter.
    public func gradient(_ name: String) -> UnsafeMutableBufferPointer<Float> {
        let i = index[name]!
        precondition(specs[i].trainable, "\(name) is not trainable")
        precondition(isTraining, "an inference store has no gradients")
        return UnsafeMutableBufferPointer(start: gradients + offsets[i]!, count: specs[i].elements)
    }

    /// A parameter's values in PyTorch's order and shape (for checkpoints and comparisons).
    public func pyTorchValues(_ name: String) -> [Float] {
        let spec = specs[index[name]!]
        return spec.layout.toPyTorch(Array(value(name)), shape: spec.shape)
    }

    /// A trainable parameter's accumulated gradient in PyTorch's order.
    public func pyTorchGradient(_ name: String) -> [Float] {
        let spec = specs[index[name]!]
        return spec.layout.toPyTorch(Array(gradient(name)), shape: spec.shape)
    }

    /// Sets a parameter from values in PyTorch's order.
    public func setPyTorchValues(_ name: String, _ values: [Float]) {
        let spec = specs[index[name]!]
        precondition(values.count == spec.elements, "\(name): \(values.count) values for \(spec.shape)")
        let converted = spec.layout.fromPyTorch(values, shape: spec.shape)
        _ = value(name).update(fromContentsOf: converted)
    }

    public func counter(_ name: String) -> Int64 { counters[index[name]!] ?? 0 }
    public func setCounter(_ name: String, _ value: Int64) { counters[index[name]!] = value }
    /// Adds one to the counter at parameter index `index` (see `indexOf`), as each batch-norm training pass does.
    public func incrementCounter(index: Int) { counters[index, default: 0] += 1 }

    public func zeroGradients() {
        precondition(isTraining, "an inference store has no gradients")
        gradients.update(repeating: 0, count: trainableCount)
    }

    /// Sets the gradients of the micro-batches finished so far aside and zeroes `gradients` for the next one.
    public func setAsideMicroBatchGradients() {
        guard let earlierMicroBatches else { preconditionFailure("this store was made for one micro-batch per step") }
        earlierMicroBatches.update(from: gradients, count: trainableCount)
        gradients.update(repeating: 0, count: trainableCount)
    }

    /// Adds the gradients set aside to the micro-batch just finished: `gradients` again holds the step's sum.
    public func addBackMicroBatchGradients() {
        guard let earlierMicroBatches else { preconditionFailure("this store was made for one micro-batch per step") }
        for i in 0..<trainableCount { gradients[i] += earlierMicroBatches[i] }
    }

    /// Remembers the running statistics and counters as a step begins. Micro-batches update them as they run,
    /// so a step abandoned half-way (a bad case met in its second micro-batch) would otherwise leave a checkpoint
    /// between steps; `restoreStepStart` puts them back. A copy, counted by `PersistentMemory`.
    public func markStepStart() {
        precondition(isTraining, "an inference store keeps no step-start copy")
        stepStartStatistics.update(from: values + trainableCount, count: floatCount - trainableCount)
        stepStartCounters = counters
    }

    /// Undoes what a partial step did to the running statistics and counters, and drops its gradients.
    public func restoreStepStart() {
        (values + trainableCount).update(from: stepStartStatistics, count: floatCount - trainableCount)
        counters = stepStartCounters
        zeroGradients()
    }
}
