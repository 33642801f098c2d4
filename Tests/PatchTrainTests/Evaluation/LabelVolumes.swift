import Foundation
@testable import PatchTrain

/// Small label volumes on disk for the evaluation tests: the same labels as a uint8 label map, a one-hot float32
/// mask or a NIfTI file, so every reader path can be compared on known answers.
struct LabelVolumes {
    let folder = TemporaryFolder("patchtrain-eval")

    /// Writes `labels` (`(x, y, z)` C order) as a uint8 `.npy` label map at `name` (a path inside the folder).
    @discardableResult
    func labelMap(_ name: String, _ labels: [UInt8], shape: Extent3) throws -> String {
        let path = prepare(name)
        try NPYWriter.write(labels, elementType: .uint8, shape: [shape.x, shape.y, shape.z], to: path)
        return path
    }

    /// Writes `labels` one-hot: float32 `(x, y, z, classes)`.
    @discardableResult
    func oneHot(_ name: String, _ labels: [UInt8], shape: Extent3, classes: Int) throws -> String {
        let path = prepare(name)
        var values = [Float](repeating: 0, count: labels.count * classes)
        for (i, label) in labels.enumerated() { values[i * classes + Int(label)] = 1 }
        try NPYWriter.write(values, elementType: .float32, shape: [shape.x, shape.y, shape.z, classes], to: path)
        return path
    }

    /// Writes `labels` as a NIfTI uint8 label map with voxel size `spacing` (mm).
    @discardableResult
    func nifti(_ name: String, _ labels: [UInt8], shape: Extent3, spacing: [Float] = [1, 1, 1]) throws -> String {
        let path = prepare(name)
        var reference = NIfTIHeader(shape: VolumeShape(x: shape.x, y: shape.y, z: shape.z), elementType: .uint8)
        reference.pixdim[1] = spacing[0]
        reference.pixdim[2] = spacing[1]
        reference.pixdim[3] = spacing[2]
        reference.xyztUnits = 2  // mm
        try NIfTIWriter.writeLabels(labels, shape: shape, like: reference, to: path)
        return path
    }

    private func prepare(_ name: String) -> String {
        let path = folder.file(name)
        let parent = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        return path
    }

    /// Labels from a seeded generator: each voxel `0..<classes`, or clustered blobs when `blobs` is set, so that
    /// surfaces have interiors as well as single voxels.
    static func random(_ shape: Extent3, classes: Int, seed: UInt64, blobs: Bool = false) -> [UInt8] {
        var g = SeededGenerator(seed: seed)
        if !blobs { return (0..<shape.volume).map { _ in UInt8(g.next() % UInt64(classes)) } }
        var labels = [UInt8](repeating: 0, count: shape.volume)
        for _ in 0..<3 {
            let label = UInt8(1 + g.next() % UInt64(classes - 1))
            let centre = (0..<3).map { Int(g.next() % UInt64(shape[$0])) }
            let radius = 1 + Int(g.next() % 3)
            for x in 0..<shape.x {
                for y in 0..<shape.y {
                    for z in 0..<shape.z {
                        let d = [x - centre[0], y - centre[1], z - centre[2]]
                        if d.map({ $0 * $0 }).reduce(0, +) <= radius * radius { labels[(x * shape.y + y) * shape.z + z] = label }
                    }
                }
            }
        }
        return labels
    }
}
