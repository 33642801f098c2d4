import Foundation

/// A fresh folder under the system's temporary directory, removed when the value is dropped.
final class TemporaryFolder {
    let path: String

    init(_ label: String = "patchtrain-test") {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
