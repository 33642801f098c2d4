/// What one pass over a prediction and its truth found: the confusion matrix and where each label lies.
public struct LabelCounts: Sendable {
    /// Cut to the largest label present in either volume, plus one.
    public let confusion: ConfusionMatrix
    public let truthBounds: LabelBounds
    public let predictionBounds: LabelBounds
    /// The volumes' spatial extent (they are equal).
    public let extent: Extent3
    /// Channels on disk: more than one means a one-hot (or per-class score) volume, read by argmax.
    public let truthChannels: Int
    public let predictionChannels: Int
}

/// Counting a prediction against the truth, voxel by voxel, in bounded memory.
///
/// Both volumes are read through their `VolumeSource` as class indices (`readLabels`: a label map as is, a one-hot
/// or per-class-score volume by argmax), one block of at most `blockEdge`³ voxels at a time, and their mapped pages
/// are released after each block. Blocks rather than slabs of whole planes, because the volumes' layouts differ:
/// a slab of x-planes is contiguous in a C-order `.npy` but touches every page of a NIfTI file (x varies fastest
/// there), while a cube touches few pages in either. Memory is two blocks of bytes (2 × 864 KiB at the default
/// edge), one row of Float scratch per volume, a 256×256 matrix of counts (512 KiB), and the mapped pages of one
/// block (about 23 MiB for a 240×240×160 one-hot float32 `.npy`), whatever the size of the volumes.
public enum SegmentationMetrics {
    /// 96³ voxels: 864 KiB of labels per volume.
    public static let defaultBlockEdge = 96

    public static func count(prediction: any VolumeSource, truth: any VolumeSource,
                             blockEdge: Int = defaultBlockEdge) throws -> LabelCounts {
        let extent = truth.shape.spatial
        guard prediction.shape.spatial == extent else {
            throw InputError(prediction.path, "shape \(prediction.shape.spatial) does not match the truth's \(extent) (\(truth.path))")
        }
        let blocks = blockBoxes(extent: extent, edge: max(blockEdge, 1))
        let capacity = blocks.map(\.size.volume).max() ?? 0
        let truthBlock = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        let predictedBlock = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer {
            truthBlock.deallocate()
            predictedBlock.deallocate()
        }
        var matrix = ConfusionMatrix(size: 256)
        var truthBounds = LabelBounds(), predictionBounds = LabelBounds()
        for box in blocks {
            truth.readLabels(box, into: truthBlock)
            prediction.readLabels(box, into: predictedBlock)
            matrix.add(truth: truthBlock, predicted: predictedBlock, count: box.size.volume)
            truthBounds.include(truthBlock, box: box)
            predictionBounds.include(predictedBlock, box: box)
            // Without this a one-hot float32 truth would stay resident whole (16 bytes per voxel).
            truth.releasePages()
            prediction.releasePages()
        }
        let largest = max(matrix.largestTruthLabel ?? 0, matrix.largestPredictedLabel ?? 0)
        return LabelCounts(confusion: matrix.shrunk(to: largest + 1), truthBounds: truthBounds,
                           predictionBounds: predictionBounds, extent: extent,
                           truthChannels: truth.shape.channels, predictionChannels: prediction.shape.channels)
    }

    /// Cubes of `edge` (smaller at the far faces) covering the volume, z fastest.
    static func blockBoxes(extent: Extent3, edge: Int) -> [Box3] {
        var boxes: [Box3] = []
        for x in stride(from: 0, to: extent.x, by: edge) {
            for y in stride(from: 0, to: extent.y, by: edge) {
                for z in stride(from: 0, to: extent.z, by: edge) {
                    boxes.append(Box3(origin: Extent3(x, y, z),
                                      size: Extent3(min(edge, extent.x - x), min(edge, extent.y - y), min(edge, extent.z - z))))
                }
            }
        }
        return boxes
    }

    /// The number of classes the counts imply when the user gave none: enough for every label seen in any case,
    /// and for the channel count of any one-hot volume.
    public static func inferredClasses(_ cases: [LabelCounts]) -> Int {
        cases.reduce(1) { classes, counts in
            var needed = max(classes, counts.confusion.size)
            if counts.truthChannels > 1 { needed = max(needed, counts.truthChannels) }
            if counts.predictionChannels > 1 { needed = max(needed, counts.predictionChannels) }
            return needed
        }
    }
}

extension LabelCounts {
    /// Throws, naming the file, when either volume holds a label outside `0..<classes`.
    public func checkLabels(below classes: Int, predictionPath: String, truthPath: String) throws {
        let m = confusion
        for (path, largest, voxels) in [
            (truthPath, m.largestTruthLabel, m.truthVoxels),
            (predictionPath, m.largestPredictedLabel, m.predictedVoxels),
        ] as [(String, Int?, (Int) -> Int)] {
            guard let largest, largest >= classes else { continue }
            let outside = (classes...largest).reduce(0) { $0 + voxels($1) }
            throw InputError(path, "label \(largest) (\(outside) voxel\(outside == 1 ? "" : "s") at \(classes) or above) is outside 0...\(classes - 1) for \(classes) class\(classes == 1 ? "" : "es")")
        }
    }
}
