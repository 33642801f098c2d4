import Foundation
import CSystemCalls
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a whole folder so that readers only ever find the old complete folder or the new complete one — the
/// folder counterpart of `AtomicFile`, for checkpoints (`RUN/last/`, `RUN/best/`).
///
/// The new contents are written into a fresh hidden sibling, `.NAME.tmp-PID`; every file is fsync'd by its
/// writer and the sibling itself is fsync'd. Then the two are swapped in one step with
/// `renameat2(RENAME_EXCHANGE)`, the parent is fsync'd, and the old folder (now under the temporary name) is
/// deleted. Where the file system cannot exchange (EINVAL, ENOTSUP, or a kernel without the call) it falls back
/// to two renames, `NAME → NAME.previous` then `.NAME.tmp-PID → NAME`, with the parent fsync'd after each; a crash
/// between them leaves only `NAME.previous`, which `resolve` finds and `replace` puts back first.
public enum AtomicFolder {
    public enum Swap: Sendable {
        /// `renameat2(RENAME_EXCHANGE)`, falling back to `twoRenames` where it is not supported.
        case exchange
        /// Always the two-rename scheme (what the fallback does; chosen directly by tests).
        case twoRenames
    }

    /// Where an interrupted two-rename swap leaves the old folder.
    public static func previousPath(of target: String) -> String { "\(target).previous" }

    /// The temporary sibling this process writes `target`'s next version into.
    public static func temporaryPath(of target: String) -> String {
        let (parent, name) = split(target)
        return "\(parent)/.\(name).tmp-\(getpid())"
    }

    /// The folder holding `target`'s current contents: `target` itself, or `target.previous` when a swap was
    /// cut between its two renames; nil when there is neither.
    public static func resolve(_ target: String) -> String? {
        if isFolder(target) { return target }
        let previous = previousPath(of: target)
        return isFolder(previous) ? previous : nil
    }

    /// Replaces `target` (created if missing) with the folder `write` fills; `write` gets the temporary folder's
    /// path and must fsync what it writes (`AtomicFile` does). If `write` throws, the temporary folder is removed,
    /// `target` is untouched and the error is rethrown.
    public static func replace(_ target: String, swap: Swap = .exchange, write: (String) throws -> Void) throws {
        let (parent, _) = split(target)
        try recover(target)
        let temporary = temporaryPath(of: target)
        try? FileManager.default.removeItem(atPath: temporary)
        guard mkdir(temporary, 0o755) == 0 else {
            throw RuntimeFailure("\(temporary): cannot create (\(String(cString: strerror(errno))))")
        }
        do {
            try write(temporary)
            try sync(temporary)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            try? sync(parent)
            throw error
        }

        if !isFolder(target) {
            try rename(temporary, to: target)
            try sync(parent)
            return
        }
        if swap == .exchange {
            if patchtrain_rename_exchange(AT_FDCWD, temporary, AT_FDCWD, target) == 0 {
                // The new folder is in place; make that durable before the old one (now `temporary`) goes. Failing
                // to delete the old one loses nothing: `recover` removes it next time.
                try sync(parent)
                try? removeFolder(temporary)
                try? sync(parent)
                return
            }
            let code = errno
            guard code == EINVAL || code == ENOSYS || code == ENOTSUP || code == EOPNOTSUPP else {
                try? FileManager.default.removeItem(atPath: temporary)
                throw RuntimeFailure("\(target): cannot swap in the new folder (\(String(cString: strerror(code)))); the previous one is unchanged")
            }
        }
        let previous = previousPath(of: target)
        try rename(target, to: previous)
        try sync(parent)
        try rename(temporary, to: target)
        try sync(parent)
        try? removeFolder(previous)
        try? sync(parent)
    }

    /// Undoes what an interrupted `replace` left: puts `target.previous` back when `target` is missing, drops it
    /// when `target` is whole, and removes temporary siblings (a process killed mid-write leaves its own).
    /// One process writes a folder at a time (the run folder's lock sees to that), so no sibling is in use.
    public static func recover(_ target: String) throws {
        let (parent, name) = split(target)
        let previous = previousPath(of: target)
        if isFolder(previous) {
            if isFolder(target) {
                try removeFolder(previous)
            } else {
                try rename(previous, to: target)
            }
            try sync(parent)
        }
        let prefix = ".\(name).tmp-"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where entry.hasPrefix(prefix) {
            try? FileManager.default.removeItem(atPath: "\(parent)/\(entry)")
        }
    }

    // MARK: - Helpers

    static func split(_ path: String) -> (parent: String, name: String) {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        guard let slash = trimmed.lastIndex(of: "/") else { return (".", trimmed) }
        let parent = String(trimmed[..<slash])
        return (parent.isEmpty ? "/" : parent, String(trimmed[trimmed.index(after: slash)...]))
    }

    static func isFolder(_ path: String) -> Bool {
        var folder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &folder) && folder.boolValue
    }

    private static func rename(_ from: String, to: String) throws {
        #if canImport(Glibc)
        let status = Glibc.rename(from, to)
        #else
        let status = Darwin.rename(from, to)
        #endif
        if status != 0 {
            throw RuntimeFailure("\(to): cannot rename \(from) to it (\(String(cString: strerror(errno))))")
        }
    }

    private static func removeFolder(_ path: String) throws {
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw RuntimeFailure("\(path): cannot remove the old folder (\(error.localizedDescription))")
        }
    }

    /// fsync on a folder: makes the entries created, renamed or removed in it durable.
    static func sync(_ folder: String) throws {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw RuntimeFailure("\(folder): cannot open to sync (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw RuntimeFailure("\(folder): fsync failed (\(String(cString: strerror(errno))))") }
    }
}
