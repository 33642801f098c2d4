import Foundation
@testable import PatchTrain

/// Writes small datasets for tests: `images/` + `masks/` folders of `.npy` files, or arbitrary files.
struct TinyDataset {
    let folder = TemporaryFolder("patchtrain-dataset")
    var path: String { folder.path }

    init(imagesAndMasks: Bool = true) {
        if imagesAndMasks {
            try! FileManager.default.createDirectory(atPath: folder.file("images"), withIntermediateDirectories: true)
            try! FileManager.default.createDirectory(atPath: folder.file("masks"), withIntermediateDirectories: true)
        }
    }

    /// A float32 image `(x, y, z)` whose voxel `i` (C order) holds `value(i)`.
    @discardableResult
    func image(_ name: String, _ shape: [Int], value: (Int) -> Float = { Float($0 % 7) - 3 }) throws -> String {
        let path = folder.file("images/\(name)")
        try NPYWriter.write((0..<shape.reduce(1, *)).map(value), elementType: .float32, shape: shape, to: path)
        return path
    }

    /// A one-hot float32 mask `(x, y, z, classes)` whose voxel `i` belongs to class `label(i)`.
    @discardableResult
    func oneHotMask(_ name: String, _ spatial: [Int], classes: Int, label: (Int) -> Int = { $0 % 2 }) throws -> String {
        let voxels = spatial.reduce(1, *)
        var values = [Float](repeating: 0, count: voxels * classes)
        for i in 0..<voxels { values[i * classes + label(i)] = 1 }
        let path = folder.file("masks/\(name)")
        try NPYWriter.write(values, elementType: .float32, shape: spatial + [classes], to: path)
        return path
    }

    /// A uint8 label map `(x, y, z)`.
    @discardableResult
    func labelMask(_ name: String, _ spatial: [Int], label: (Int) -> UInt8) throws -> String {
        let path = folder.file("masks/\(name)")
        try NPYWriter.write((0..<spatial.reduce(1, *)).map(label), elementType: .uint8, shape: spatial, to: path)
        return path
    }

    /// A good case: 4x3x2 image and a 3-class one-hot mask.
    func goodCase(_ id: String) throws {
        try image("\(id).npy", [4, 3, 2])
        try oneHotMask("\(id).npy", [4, 3, 2], classes: 3)
    }

    @discardableResult
    func raw(_ relativePath: String, _ bytes: [UInt8]) -> String {
        let path = folder.file(relativePath)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }
}
