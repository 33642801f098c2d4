/// The bytes the data pipeline holds while training, counted from its buffers' shapes so the memory planner
/// can add them up front. Every part is allocated once when the prefetcher starts and never grows.
public struct DataPipelineMemory: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The prefetcher's pool: `(depth + 1) × microBatch` patches (the queue plus the batch being trained on).
    public let patchPool: Int
    /// The sampler's slab buffers for reading one patch.
    public let samplerScratch: Int
    /// Foreground indexes kept in memory (the resident limit, plus one being built or decoded, plus its
    /// encoded copy): an upper bound.
    public let foregroundIndexes: Int

    /// File pages mapped while one patch is read (image and mask), released every few planes and after the
    /// patch: an upper bound, see `PageWindow`.
    public let mappedPages: Int

    /// Reading a pack: its decompressed-chunk caches, their zstd contexts and its chunk table
    /// (`PackArchive.readingBytes`); nil for datasets of volume files.
    public var packReading: Int?

    public var total: Int { patchPool + samplerScratch + foregroundIndexes + mappedPages + (packReading ?? 0) }

    /// The data pipeline's bytes for a prefetch `depth`, a `microBatch` of patches of `patch` extent and
    /// `channels` image channels, and masks of `maskClasses` classes.
    ///
    public static func count(
        depth: Int, microBatch: Int, patch: Extent3, channels: Int,
        maskClasses: Int = 4,
        residentIndexes: Int = ForegroundIndex.defaultResidentLimit,
        locationsPerClass: Int = ForegroundIndex.defaultMaximumPerClass,
        packReading: Int? = nil
    ) -> DataPipelineMemory {
        DataPipelineMemory(
            patchPool: (depth + 1) * microBatch * Patch.byteCount(extent: patch, channels: channels),
            samplerScratch: samplerScratchBytes(patch: patch, channels: channels),
            foregroundIndexes: (residentIndexes + 2) * ForegroundIndex.maximumBytes(classCount: maskClasses, maximumPerClass: locationsPerClass),
            mappedPages: mappedBytesPerPatch, packReading: packReading)
    }

    /// The sampler reads a patch one `(1, y, z)` slab at a time: Float image values and UInt8 labels.
    public static func samplerScratchBytes(patch: Extent3, channels: Int) -> Int {
        patch.y * patch.z * (channels * MemoryLayout<Float>.size + MemoryLayout<UInt8>.size)
    }

    /// Mapped file bytes reading one patch holds at once: two volumes (image and mask) under the `PageWindow` rule.
    public static let mappedBytesPerPatch = 2 * PageWindow.mappedBytes

    public var description: String {
        "patch pool \(patchPool) B + sampler scratch \(samplerScratch) B + foreground indexes \(foregroundIndexes) B + mapped pages \(mappedPages) B\(packReading.map { " + pack reading \($0) B" } ?? "") = \(total) B"
    }
}
