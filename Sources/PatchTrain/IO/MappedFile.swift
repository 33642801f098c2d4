#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory.
///
/// Pages are faulted in only when read; `release` hands them back to the kernel (`madvise(MADV_DONTNEED)`),
/// which for a read-only file mapping drops them from the process's RSS, so walking a thousand volumes
/// costs only the pages of the patch being read, never the sum of the files.
final class MappedFile: @unchecked Sendable {
    let path: String
    let size: Int
    /// Start of the mapping; nil for an empty file.
    let base: UnsafeRawPointer?
    /// Device and inode of the file mapped, to tell the mapped file from one renamed over its name since.
    private let identity: (device: UInt64, inode: UInt64)
    /// The mapping's entry in `MappedRegions` (the SIGBUS guard); nil for an empty file or a full table.
    private var guardSlot: Int?

    static let pageSize: Int = Int(sysconf(Int32(_SC_PAGESIZE)))

    init(path: String) throws {
        self.path = path
        let (fd, info) = try RegularFile.open(path)
        defer { close(fd) }
        size = Int(info.st_size)
        identity = (UInt64(info.st_dev), UInt64(info.st_ino))
        if size == 0 {
            base = nil
            return
        }
        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw InputError(path, "cannot map into memory (\(String(cString: strerror(errno))))")
        }
        base = UnsafeRawPointer(mapped)
        guardSlot = MappedRegions.register(base: UnsafeRawPointer(mapped), size: size, path: OneLine.escaped(path, limit: 900))
    }

    /// The bytes `[offset, offset + count)`, which must lie inside the file.
    func bytes(at offset: Int, count: Int) -> UnsafeRawBufferPointer {
        precondition(offset >= 0 && count >= 0 && offset + count <= size, "read outside \(path)")
        guard let base else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + offset, count: count)
    }

    /// Drops the resident pages of `[offset, offset + count)` (widened to whole pages) from RSS.
    /// The data stays readable: a later read faults the pages in again from the page cache or disk.
    func release(offset: Int = 0, count: Int? = nil) {
        guard let base else { return }
        let length = count ?? size - offset
        let start = (offset / MappedFile.pageSize) * MappedFile.pageSize
        let end = min(size, offset + length)
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }

    /// Throws, naming `reportedPath` (the file as the user knows it), if the file on disk is now shorter than the
    /// mapping: its pages past the new end would fault with SIGBUS. Readers call it before each pass over a file;
    /// a file that shrinks during a pass is left to `MappedRegions`.
    func checkNotShortened(reportedPath: String) throws {
        var info = stat()
        // Deleted, or another file renamed over the name: the mapping keeps the data it was opened with. Only the
        // same file truncated in place is a danger.
        guard stat(path, &info) == 0, (UInt64(info.st_dev), UInt64(info.st_ino)) == identity else { return }
        if Int(info.st_size) < size {
            throw InputError(reportedPath, "is now \(info.st_size) bytes, \(size) when training began: the file was cut short or is being rewritten")
        }
    }

    deinit {
        if let guardSlot { MappedRegions.unregister(guardSlot) }
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }
}
