import Foundation

/// The one way folders of volumes are listed: hidden names skipped, sorted by their bytes so that every
/// machine and locale sees the same order (case ids, splits and outputs follow it).
enum FolderListing {
    /// Every visible name in `folder`, files and sub-folders alike; empty when it cannot be listed.
    static func visibleNames(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { !$0.hasPrefix(".") }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The visible files directly in `folder` (sub-folders skipped), as `(name, path)` in byte order.
    static func files(in folder: String) -> [(name: String, path: String)] {
        visibleNames(in: folder).map { ($0, (folder as NSString).appendingPathComponent($0)) }.filter { !isFolder($0.path) }
    }

    static func isRegularFile(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && !flag.boolValue
    }

    static func isFolder(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
    }
}
