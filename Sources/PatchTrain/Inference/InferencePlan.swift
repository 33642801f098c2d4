/// What sliding-window inference over volumes of one extent will hold in memory, and the settings themselves.
/// Forward-only: the arena frees every activation as soon as its last consumer has run.
public struct InferencePlan: Hashable, Codable, Sendable {
    public var configuration: UNetConfiguration
    /// The (largest) volume the plan was made for; smaller volumes need less.
    public var volume: Extent3
    public var window: Extent3
    public var windowsPerBatch: Int
    public var overlap: Double
    public var blend: BlendMode
    /// Test-time mirroring: each window runs eight times (every combination of axis flips).
    public var mirroring: Bool
    public var output: InferenceOutput
    public var budgetBytes: Int

    public var fixed: FixedMemory
    public var memory: InferenceMemory

    /// Predicted whole-process peak RSS: the runtime and the weights, plus the larger of loading the weights
    /// (which happens before anything else is touched) and running.
    public var predictedPeakBytes: Int { fixed.total + memory.weightBytes + max(memory.loadingBytes, memory.workingBytes) }
    public var headroomBytes: Int { budgetBytes - predictedPeakBytes }

    public var windowing: SlidingWindow { SlidingWindow(volume: volume, window: window, overlap: overlap) }
    /// Network passes per volume (windows × mirrorings).
    public var passesPerVolume: Int { windowing.count * (mirroring ? 8 : 1) }
    /// Floating-point operations of one batch of windows.
    public var flopsPerBatch: Double
}

/// What an inference run writes, which decides the output buffers it holds.
public struct InferenceOutput: Hashable, Codable, Sendable {
    /// NIfTI stores x fastest, so a NIfTI label map is assembled whole (1 byte per voxel) and written at the end;
    /// `.npy` label maps stream plane by plane.
    public var labelsWholeVolume: Bool
    /// Class probabilities as fp16 `.npy`, streamed plane by plane.
    public var probabilities: Bool

    public init(labelsWholeVolume: Bool, probabilities: Bool) {
        self.labelsWholeVolume = labelsWholeVolume
        self.probabilities = probabilities
    }
}

/// The bytes of an inference run, part by part.
public struct InferenceMemory: Hashable, Codable, Sendable {
    /// fp32 weights and running statistics, plus one parameter's conversion scratch.
    public var weightBytes: Int
    /// While loading: the mapped weights file and the two copies one parameter passes through.
    public var loadingBytes: Int
    /// The forward pass's transient tensors, packed into one arena.
    public var arenaBytes: Int
    /// The operation at which the arena's peak falls.
    public var arenaPeakOperation: String
    /// The batch of fp16 input windows.
    public var inputBytes: Int
    /// The window reader's Float slab and the image file pages mapped while a window is read.
    public var readerBytes: Int
    /// The stitching slab: fp32 per class over one window's depth of x-planes (`Stitcher.bytes`).
    public var stitchBytes: Int
    /// Output buffers: a label plane, a probability plane, or a whole label volume for NIfTI.
    public var outputBytes: Int

    public var workingBytes: Int { arenaBytes + inputBytes + readerBytes + stitchBytes + outputBytes }
}
