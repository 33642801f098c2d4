import Foundation

/// Foreground indexes kept on disk, zstd-compressed, one file per mask named by `CacheFolder.fileKey(mask.path)`,
/// so replacing or touching a mask makes its old entry unreachable. A missing, damaged or mismatched entry is
/// rebuilt from the mask and rewritten atomically; the cache can only ever cost time, never correctness.
public final class ForegroundIndexCache: Sendable {
    /// Where entries live; nil keeps nothing on disk (every lookup builds).
    public let folder: String?
    public let maximumPerClass: Int

    /// Whether a lookup was answered from disk or by scanning the mask.
    public enum Source: Sendable, Equatable { case cache, computed }

    public struct Lookup: Sendable {
        public let index: ForegroundIndex
        public let source: Source
    }

    /// Largest entry read back: a 256-class index at the cap is far smaller, so anything bigger is damage.
    static let largestEntry = 64 << 20

    /// `folder` nil: the user's cache (`CacheFolder.ensure("foreground")`); tests pass a folder of their own.
    /// Either is created if missing.
    public init(folder: String? = nil, maximumPerClass: Int = ForegroundIndex.defaultMaximumPerClass) throws {
        if let folder {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw RuntimeFailure("\(folder): cannot create cache folder (\(error.localizedDescription))")
            }
            self.folder = folder
        } else {
            self.folder = try CacheFolder.ensure("foreground")
        }
        self.maximumPerClass = maximumPerClass
    }

    /// Keeps nothing on disk: for read-only machines, where a cache folder cannot be created.
    public init(inMemoryOnlyWithMaximumPerClass maximumPerClass: Int) {
        self.folder = nil
        self.maximumPerClass = maximumPerClass
    }

    /// The cache file for `mask`, or nil without a folder.
    public func entryPath(for mask: any VolumeSource) -> String? {
        folder.map { "\($0)/\(CacheFolder.fileKey(mask.path)).fgidx.zst" }
    }

    public func index(for mask: any VolumeSource) throws -> ForegroundIndex {
        try lookup(mask).index
    }

    public func lookup(_ mask: any VolumeSource) throws -> Lookup {
        // A pack stores each case's index beside its labels: read, never rebuilt, and no cache entry needed.
        if let packed = mask as? PackedVolume, let stored = try packed.storedForegroundIndex(maximumPerClass: maximumPerClass) {
            return Lookup(index: stored, source: .cache)
        }
        let path = entryPath(for: mask)
        if let path, let cached = readEntry(path, for: mask) {
            return Lookup(index: cached, source: .cache)
        }
        let index = try ForegroundIndex.build(from: mask, maximumPerClass: maximumPerClass)
        if let path {
            // A full disk or read-only cache only means the next run scans again; training goes on.
            try? AtomicFile.write(try ZstdCodec.compress(index.encoded()), to: path)
        }
        return Lookup(index: index, source: .computed)
    }

    /// The entry at `path` if it is intact and describes `mask` as this cache would build it; nil otherwise.
    private func readEntry(_ path: String, for mask: any VolumeSource) -> ForegroundIndex? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = (attributes[.size] as? NSNumber)?.intValue, size <= ForegroundIndexCache.largestEntry,
              let data = FileManager.default.contents(atPath: path),
              let bytes = try? ZstdCodec.decompress([UInt8](data), source: path, maximumSize: ForegroundIndexCache.largestEntry),
              let index = try? ForegroundIndex(decoding: bytes, source: path)
        else { return nil }
        let expectedClasses = mask.oneHotClasses ?? index.classCount
        guard index.extent == mask.shape.spatial, index.maximumPerClass == maximumPerClass,
              index.classCount == expectedClasses else { return nil }
        return index
    }
}
