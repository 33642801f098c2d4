import Foundation

/// Where patchtrain keeps derived data it can always rebuild: decompressed `.nii.gz` volumes and per-volume
/// foreground indexes. `PATCHTRAIN_CACHE` overrides; otherwise `$XDG_CACHE_HOME/patchtrain` or `~/.cache/patchtrain`.
public enum CacheFolder {
    public static var defaultPath: String {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["PATCHTRAIN_CACHE"], !explicit.isEmpty { return explicit }
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { return "\(xdg)/patchtrain" }
        return "\(NSHomeDirectory())/.cache/patchtrain"
    }

    /// Creates `folder/sub` if needed and returns its path.
    public static func ensure(_ sub: String, in folder: String = defaultPath) throws -> String {
        let path = "\(folder)/\(sub)"
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw RuntimeFailure("\(path): cannot create cache folder (\(error.localizedDescription))")
        }
        return path
    }

    /// A key that changes whenever the file at `path` is replaced or modified: its absolute path, size and mtime.
    public static func fileKey(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a over the identifying text
        for byte in "\(absolute)|\(size)|\(modified)".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
        }
        return String(hash, radix: 16)
    }
}
