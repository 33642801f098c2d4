/// Every buffer writing or reading a checkpoint needs, allocated once with the parameters so that saving in the
/// middle of a run allocates nothing of size (`PersistentMemory.checkpointScratchBytes` counts them):
///
/// - `conversion`: fp32 room for the largest parameter. Each tensor (weights, then each Adam moment) is put in
///   PyTorch's order here, one at a time, on its way to disk, and read into it on its way back.
/// - `zstdWorkspace`: the compression (or, when loading, decompression) context of `optimizer.zst`.
/// - `io`: compressed bytes between the context and the file.
///
/// All of it is zeroed at allocation so its pages are resident from the start, as the plan counts them.
public final class CheckpointScratch: @unchecked Sendable {
    public let conversion: UnsafeMutableBufferPointer<Float>
    public let zstdWorkspace: UnsafeMutableRawBufferPointer
    public let io: UnsafeMutableRawBufferPointer

    public init(largestParameterElements: Int) {
        conversion = .allocate(capacity: max(largestParameterElements, 1))
        conversion.initialize(repeating: 0)
        zstdWorkspace = .allocate(byteCount: ZstdStreaming.workspaceBytes, alignment: 64)
        zstdWorkspace.initializeMemory(as: UInt8.self, repeating: 0)
        io = .allocate(byteCount: PersistentMemory.checkpointIOBytes, alignment: 64)
        io.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit {
        conversion.deallocate()
        zstdWorkspace.deallocate()
        io.deallocate()
    }
}
