import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opening an input that must be a regular file. A FIFO, socket or device named like a volume or a JSON file is
/// refused instead of read: opening a FIFO blocks until a writer appears, and reading a device never ends.
enum RegularFile {
    /// A descriptor open for reading (the caller closes it) and the file's size. `missing` is the problem reported
    /// when there is no such file.
    static func open(_ path: String, missing: String = "no such file") throws -> (descriptor: Int32, info: stat) {
        // O_NONBLOCK makes open return at once for a FIFO, so the type check below can refuse it; for a regular file
        // the flag changes nothing.
        let fd = SystemCall.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0)
        if fd < 0 {
            throw InputError(path, errno == ENOENT ? missing : "cannot open (\(String(cString: strerror(errno))))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw InputError(path, "cannot stat (\(reason))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw InputError(path, (info.st_mode & S_IFMT) == S_IFDIR ? "is a folder, not a file" : "not a regular file")
        }
        return (fd, info)
    }

    /// The whole contents of a small file (JSON written by patchtrain or a manifest), refusing one over `limit` bytes
    /// rather than reading an arbitrarily large file into memory.
    static func contents(_ path: String, limit: Int = 64 << 20, missing: String = "no such file") throws -> Data {
        let (fd, info) = try open(path, missing: missing)
        defer { close(fd) }
        let size = Int(info.st_size)
        guard size <= limit else { throw InputError(path, "is \(size) bytes, more than the \(limit) this file kind may hold") }
        var data = Data(count: size)
        var filled = 0
        try data.withUnsafeMutableBytes { buffer in
            while filled < size {
                let n = read(fd, buffer.baseAddress! + filled, size - filled)
                if n < 0 && errno == EINTR { continue }
                guard n >= 0 else { throw InputError(path, "cannot read (\(String(cString: strerror(errno))))") }
                if n == 0 { break }
                filled += n
            }
        }
        // A file cut short while being read: what was read is all there is, and the decoder judges it.
        return filled < size ? data.prefix(filled) : data
    }
}
