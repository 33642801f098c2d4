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

/// How overlapping windows are weighted where they meet.
public enum BlendMode: String, Sendable, Codable, CaseIterable {
    /// Gaussian importance, σ = window/8 on each axis, peak 1 at the centre (nnU-Net's and MONAI's default): the
    /// window's centre, where the network saw the most context, outweighs its borders.
    case gaussian
    /// Every voxel of every window counts the same: a plain average of the windows covering a voxel.
    case constant
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

    /// `VolumeWindowReader`'s scratch: one `(1, y, z, c)` Float slab of the window.
    public static func readerScratchBytes(window: Extent3, channels: Int) -> Int {
        window.y * window.z * channels * MemoryLayout<Float>.size
    }

    /// `Stitcher`'s slab: fp32 per class over `windowing.slabPlanes` x-planes of the volume.
    public static func stitchSlabBytes(windowing: SlidingWindow, classes: Int) -> Int {
        windowing.slabPlanes * windowing.volume.y * windowing.volume.z * classes * MemoryLayout<Float>.size
    }

    /// `PredictionWriter`'s buffers: a label plane, the whole label volume when it cannot stream (NIfTI), and a
    /// fp16 probability plane when probabilities are written.
    public static func outputBufferBytes(extent: Extent3, classes: Int, output: InferenceOutput) -> Int {
        let plane = extent.y * extent.z
        return plane + (output.labelsWholeVolume ? extent.volume : 0)
            + (output.probabilities ? plane * classes * MemoryLayout<Float16>.size : 0)
    }
}
