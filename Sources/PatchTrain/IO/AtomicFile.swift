#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that readers only ever see the old complete file or the new complete file:
/// bytes go to a temporary file in the same folder, which is fsync'ed and then renamed over the target,
/// and the folder is fsync'ed so the rename itself survives a crash. On any failure (disk full included)
/// the temporary file is removed and the previous file is left untouched.
public final class AtomicFile {
    public let path: String
    private let temporaryPath: String
    private var fd: Int32
    private var finished = false

    public init(path: String) throws {
        self.path = path
        self.temporaryPath = "\(path).tmp-\(getpid())"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 {
            throw RuntimeFailure("\(path): cannot create (\(String(cString: strerror(errno))))")
        }
    }

    /// Appends bytes; throws (and abandons the file) on a short or failed write, e.g. ENOSPC.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Glibc.write(fd, p, min(left, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                abandon()
                throw RuntimeFailure("\(path): write failed (\(reason)); the previous file, if any, is unchanged")
            }
            p += n
            left -= n
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes bytes at `offset`, over what is there, without moving the append position: for a file whose
    /// header and index are filled in once the rest has been written (a pack).
    public func write(_ bytes: [UInt8], at offset: Int) throws {
        try bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = pwrite(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    let reason = String(cString: strerror(errno))
                    abandon()
                    throw RuntimeFailure("\(path): write failed (\(reason)); the previous file, if any, is unchanged")
                }
                done += n
            }
        }
    }

    /// Flushes to disk and renames the temporary file over `path`.
    public func commit() throws {
        precondition(!finished, "AtomicFile committed twice")
        if fsync(fd) != 0 {
            let reason = String(cString: strerror(errno))
            abandon()
            throw RuntimeFailure("\(path): fsync failed (\(reason)); the previous file, if any, is unchanged")
        }
        close(fd)
        fd = -1
        if rename(temporaryPath, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            finished = true
            throw RuntimeFailure("\(path): rename failed (\(reason)); the previous file, if any, is unchanged")
        }
        finished = true
        AtomicFile.syncFolder(of: path)
    }

    /// Gives up: removes the temporary file. Called automatically if never committed.
    public func abandon() {
        guard !finished else { return }
        if fd >= 0 { close(fd) }
        fd = -1
        unlink(temporaryPath)
        finished = true
    }

    deinit { abandon() }

    /// Writes `bytes` to `path` atomically in one go.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let file = try AtomicFile(path: path)
        try file.write(bytes)
        try file.commit()
    }

    static func syncFolder(of path: String) {
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let dfd = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }
}
