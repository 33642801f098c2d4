import Foundation
@testable import PatchTrain

/// Small cases written with NPYWriter: an image whose every value tells where it came from, and a one-hot
/// mask (or a label map) with a few small foreground boxes.
enum TrainingFixtures {
    /// Distinct, fp16-exact, never zero, so zero padding and misplaced copies are both visible.
    static func imageValue(_ x: Int, _ y: Int, _ z: Int, channel c: Int) -> Float {
        Float((x * 31 + y * 17 + z * 7 + c * 101) % 509) * 0.25 + 1
    }

    struct Tumour {
        let label: Int
        let box: Box3
    }

    /// Writes `<name>_image.npy` `(x, y, z, channels)` and `<name>_mask.npy` (one-hot `(x, y, z, classes)`, or a
    /// `(x, y, z)` uint8 label map when `labelMap`), and opens them as a case.
    static func writeCase(
        in folder: TemporaryFolder, name: String, extent: Extent3, channels: Int = 1, classes: Int = 4,
        tumours: [Tumour], labelMap: Bool = false
    ) throws -> TrainingCase {
        var image = [Float](repeating: 0, count: extent.volume * channels)
        var labels = [UInt8](repeating: 0, count: extent.volume)
        for x in 0..<extent.x {
            for y in 0..<extent.y {
                for z in 0..<extent.z {
                    let voxel = (x * extent.y + y) * extent.z + z
                    for c in 0..<channels { image[voxel * channels + c] = imageValue(x, y, z, channel: c) }
                }
            }
        }
        for tumour in tumours {
            for x in 0..<tumour.box.size.x {
                for y in 0..<tumour.box.size.y {
                    for z in 0..<tumour.box.size.z {
                        let p = Extent3(tumour.box.origin.x + x, tumour.box.origin.y + y, tumour.box.origin.z + z)
                        labels[(p.x * extent.y + p.y) * extent.z + p.z] = UInt8(tumour.label)
                    }
                }
            }
        }
        let imagePath = folder.file("\(name)_image.npy")
        let maskPath = folder.file("\(name)_mask.npy")
        try NPYWriter.write(image, elementType: .float32, shape: [extent.x, extent.y, extent.z, channels], to: imagePath)
        if labelMap {
            try NPYWriter.write(labels, elementType: .uint8, shape: [extent.x, extent.y, extent.z], to: maskPath)
        } else {
            var oneHot = [Float](repeating: 0, count: extent.volume * classes)
            for (voxel, label) in labels.enumerated() { oneHot[voxel * classes + Int(label)] = 1 }
            try NPYWriter.write(oneHot, elementType: .float32, shape: [extent.x, extent.y, extent.z, classes], to: maskPath)
        }
        return TrainingCase(id: name, image: try NPYVolume(path: imagePath), mask: try NPYVolume(path: maskPath))
    }

    /// Three 40x36x28 cases, each with a tiny tumour of three classes (about 20 of 40,320 voxels).
    static func smallTumourCases(in folder: TemporaryFolder, channels: Int = 1) throws -> [TrainingCase] {
        try (0..<3).map { i in
            try writeCase(
                in: folder, name: "case\(i)", extent: Extent3(40, 36, 28), channels: channels,
                tumours: [
                    Tumour(label: 2, box: Box3(origin: Extent3(10 + i, 12, 8), size: Extent3(3, 2, 2))),
                    Tumour(label: 1, box: Box3(origin: Extent3(11 + i, 12, 9), size: Extent3(1, 2, 1))),
                    Tumour(label: 3, box: Box3(origin: Extent3(38, 0, 27 - i), size: Extent3(2, 2, 1))),
                ])
        }
    }

    /// The patch `patch` should be, computed straight from the whole volumes: values where the box overlaps
    /// the volume, zeros elsewhere.
    static func expectedSlice(of trainingCase: TrainingCase, origin: Extent3, extent: Extent3) -> (image: [Float16], labels: [UInt8]) {
        let shape = trainingCase.image.shape
        let c = shape.channels
        let all = trainingCase.image.readAll()
        var classes = [UInt8](repeating: 0, count: shape.voxels)
        classes.withUnsafeMutableBufferPointer {
            trainingCase.mask.readLabels(Box3(origin: .zero, size: shape.spatial), into: $0.baseAddress!)
        }
        var image = [Float16](repeating: 0, count: extent.volume * c)
        var labels = [UInt8](repeating: 0, count: extent.volume)
        for px in 0..<extent.x {
            for py in 0..<extent.y {
                for pz in 0..<extent.z {
                    let (x, y, z) = (origin.x + px, origin.y + py, origin.z + pz)
                    guard (0..<shape.x).contains(x), (0..<shape.y).contains(y), (0..<shape.z).contains(z) else { continue }
                    let source = (x * shape.y + y) * shape.z + z
                    let target = (px * extent.y + py) * extent.z + pz
                    for ch in 0..<c { image[target * c + ch] = Float16(all[source * c + ch]) }
                    labels[target] = classes[source]
                }
            }
        }
        return (image, labels)
    }
}

extension Patch {
    var imageValues: [Float16] { Array(image) }
    var labelValues: [UInt8] { Array(labels) }
}
