#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decompressed copies of `.nii.gz` files, so they can be memory-mapped and read patch by patch at random
/// like a plain `.nii`. Each file is decompressed once (streamed, bounded memory) into
/// `<cache>/nifti/<key>.nii`, where the key changes whenever the source file is replaced or modified.
enum NIfTIGzipCache {
    /// The path of the decompressed copy of `source`, made now if it does not exist yet.
    ///
    /// Several processes (or threads) opening the same file wait on a lock file beside the copy, so exactly
    /// one decompresses it; the copy is written atomically, so a reader never maps a half-written file.
    static func decompressedPath(for source: String, cacheFolder: String) throws -> String {
        let folder = try CacheFolder.ensure("nifti", in: cacheFolder)
        let key = CacheFolder.fileKey(source)
        let target = "\(folder)/\(key).nii"
        if access(target, F_OK) == 0 { return target }

        let lockPath = "\(folder)/\(key).lock"
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else {
            throw RuntimeFailure("\(lockPath): cannot create cache lock (\(String(cString: strerror(errno))))")
        }
        defer { close(lock) }  // closing releases the lock
        while flock(lock, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw RuntimeFailure("\(lockPath): cannot lock (\(String(cString: strerror(errno))))")
            }
        }
        // Another process may have finished the copy while this one waited.
        if access(target, F_OK) == 0 { return target }

        let copy = try AtomicFile(path: target)
        do {
            try GzipDecompression.decompress(source, into: copy)
            try copy.commit()
        } catch {
            copy.abandon()
            throw error
        }
        return target
    }
}
