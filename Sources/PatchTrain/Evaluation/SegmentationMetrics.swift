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
/// Both volumes are read through their `VolumeSource` as class indices (`readCheckedLabels`: a label map as is,
/// refused if it holds anything but integers in 0...255; a one-hot or per-class-score volume by argmax), one slab at
/// a time, and their mapped pages are released after each slab. Slabs (`Slabs`) are whole planes across the slowest
/// axis on disk of the volume with more bytes per voxel, so each is one short stretch of that file. Memory: two
/// slabs of bytes (at most `slabVoxels`, 1 MiB, each), one slab of Float scratch (4 MiB) for checking label maps,
/// one row of Float scratch per volume, a 256×256 table of counts (512 KiB), and the file pages of one slab: at most 8 MiB
/// of the larger file, and at most the whole of the other if it is stored in the other order (a uint8 prediction
/// in NIfTI beside a `.npy` truth: 9 MiB at 240×240×160) — never more as the cases grow in number.
public enum SegmentationMetrics {
    /// 1 Mi voxels: 1 MiB of labels per volume.
    public static let defaultSlabVoxels = 1 << 20

    public static func count(prediction: any VolumeSource, truth: any VolumeSource,
                             slabVoxels: Int = defaultSlabVoxels) throws -> LabelCounts {
        let extent = truth.shape.spatial
        guard prediction.shape.spatial == extent else {
            throw InputError(prediction.path, "shape \(prediction.shape.spatial) does not match the truth's \(extent) (\(truth.path))")
        }
        func bytesPerVoxel(_ v: any VolumeSource) -> Int { v.elementType.byteSize * v.shape.channels }
        let larger = bytesPerVoxel(prediction) > bytesPerVoxel(truth) ? prediction : truth
        let slabs = Slabs.boxes(of: Box3(origin: .zero, size: extent), in: larger, voxels: max(slabVoxels, 1))
        let capacity = slabs.map(\.size.volume).max() ?? 0
        let truthSlab = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        let predictedSlab = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        let values = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        defer {
            truthSlab.deallocate()
            predictedSlab.deallocate()
            values.deallocate()
        }
        var matrix = ConfusionMatrix(size: 256)
        var truthBounds = LabelBounds(), predictionBounds = LabelBounds()
        for box in slabs {
            // A file cut short since it was opened is an error here, not a SIGBUS in the read below.
            try truth.checkUnchanged()
            try prediction.checkUnchanged()
            try truth.readCheckedLabels(box, into: truthSlab, scratch: values)
            try prediction.readCheckedLabels(box, into: predictedSlab, scratch: values)
            matrix.add(truth: truthSlab, predicted: predictedSlab, count: box.size.volume)
            truthBounds.include(truthSlab, box: box)
            predictionBounds.include(predictedSlab, box: box)
            // Without this a one-hot float32 truth would stay resident whole (16 bytes per voxel).
            truth.releasePages()
            prediction.releasePages()
        }
        // A pack's damaged chunk read as zeros in the last slab: it is an error, not a score.
        try truth.checkUnchanged()
        let largest = max(matrix.largestTruthLabel ?? 0, matrix.largestPredictedLabel ?? 0)
        return LabelCounts(confusion: matrix.shrunk(to: largest + 1), truthBounds: truthBounds.shrunk(to: largest + 1),
                           predictionBounds: predictionBounds.shrunk(to: largest + 1), extent: extent,
                           truthChannels: truth.shape.channels, predictionChannels: prediction.shape.channels)
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
