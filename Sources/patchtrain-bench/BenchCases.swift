import Foundation
import PatchTrain

/// Finds image/mask pairs in a folder for the benchmarks: `NAME_image.npy` + `NAME_mask.npy` side by side,
/// or `images/NAME.npy` + `masks/NAME.npy`. Deliberately minimal (no validation beyond opening the files);
/// the project's dataset discovery can replace it once benchmarks need more layouts.
enum BenchCases {
    static func open(_ folder: String) throws -> [TrainingCase] {
        let files = FileManager.default
        var isFolder: ObjCBool = false
        guard files.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw InputError(folder, "no such folder")
        }
        var pairs: [(String, String, String)] = []
        let names = (try? files.contentsOfDirectory(atPath: folder))?.sorted() ?? []
        for name in names where name.hasSuffix("_image.npy") {
            let id = String(name.dropLast("_image.npy".count))
            let mask = "\(folder)/\(id)_mask.npy"
            if files.fileExists(atPath: mask) { pairs.append((id, "\(folder)/\(name)", mask)) }
        }
        if pairs.isEmpty {
            let images = (try? files.contentsOfDirectory(atPath: "\(folder)/images"))?.sorted() ?? []
            for name in images where name.hasSuffix(".npy") {
                let mask = "\(folder)/masks/\(name)"
                if files.fileExists(atPath: mask) {
                    pairs.append((String(name.dropLast(4)), "\(folder)/images/\(name)", mask))
                }
            }
        }
        guard !pairs.isEmpty else {
            throw InputError(folder, "no cases found (expected NAME_image.npy + NAME_mask.npy, or images/ + masks/)")
        }
        return try pairs.map { TrainingCase(id: $0.0, image: try NPYVolume(path: $0.1), mask: try NPYVolume(path: $0.2)) }
    }
}
