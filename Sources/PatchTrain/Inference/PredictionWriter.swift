import Foundation

/// Writes one volume's prediction as the stitcher finishes its x-planes: the label map (argmax over classes) as
/// uint8 `.npy` streamed plane by plane, or as NIfTI assembled whole (NIfTI stores x fastest, so x-planes are not
/// contiguous in it) and written at the end with the input's geometry; optionally the fp16 class probabilities
/// `(x, y, z, classes)` as `.npy`, streamed. Files appear under their names only when complete.
public final class PredictionWriter {
    public enum LabelFormat: String, Sendable, CaseIterable {
        case npy, nifti
    }

    public let labelsPath: String
    public let probabilitiesPath: String?
    private let extent: Extent3
    private let classes: Int
    private let format: LabelFormat
    private let niftiReference: NIfTIHeader?
    private var labelWriter: NPYWriter?
    private var probabilityWriter: NPYWriter?
    private let planeLabels: UnsafeMutablePointer<UInt8>
    private let planeProbabilities: UnsafeMutablePointer<Float16>?
    private let wholeLabels: UnsafeMutablePointer<UInt8>?
    private var planesWritten = 0
    /// The stored value of each class (`labelValues[k]` is written for class k); nil writes the classes.
    private let labelValues: [UInt8]?

    /// The files a writer for `stem` creates in `folder`: the label map, and the probabilities when asked for.
    public static func paths(folder: String, stem: String, format: LabelFormat, probabilities: Bool) -> (labels: String, probabilities: String?) {
        let base = (folder as NSString).appendingPathComponent(stem)
        return (base + (format == .npy ? ".npy" : ".nii.gz"), probabilities ? base + "_probabilities.npy" : nil)
    }

    /// Writes `STEM.npy` or `STEM.nii.gz` (and `STEM_probabilities.npy`) into `folder`. `reference`: the input's
    /// NIfTI header, whose affine and voxel size a NIfTI label map keeps. `labelValues`: the dataset's stored
    /// label of each class (one per class, 0...255), so that predictions read like the dataset's own labels.
    public init(folder: String, stem: String, extent: Extent3, classes: Int, format: LabelFormat, probabilities: Bool,
                reference: NIfTIHeader?, labelValues: [Int]? = nil) throws {
        precondition(labelValues.map { $0.count == classes && $0.allSatisfy { (0...255).contains($0) } } ?? true,
                     "one label value in 0...255 per class")
        self.labelValues = labelValues?.map { UInt8($0) }
        self.extent = extent
        self.classes = classes
        self.format = format
        niftiReference = reference
        (labelsPath, probabilitiesPath) = PredictionWriter.paths(folder: folder, stem: stem, format: format, probabilities: probabilities)
        let plane = extent.y * extent.z
        planeLabels = .allocate(capacity: plane)
        if format == .npy {
            labelWriter = try NPYWriter(path: labelsPath, elementType: .uint8, shape: [extent.x, extent.y, extent.z])
            wholeLabels = nil
        } else {
            wholeLabels = .allocate(capacity: extent.volume)
        }
        if let probabilitiesPath {
            probabilityWriter = try NPYWriter(path: probabilitiesPath, elementType: .float16,
                                              shape: [extent.x, extent.y, extent.z, classes])
            planeProbabilities = .allocate(capacity: plane * classes)
        } else {
            planeProbabilities = nil
        }
    }

    deinit {
        planeLabels.deallocate()
        wholeLabels?.deallocate()
        planeProbabilities?.deallocate()
    }

    /// Takes the next x-plane of probabilities, `(y, z, classes)`.
    public func append(plane x: Int, probabilities: UnsafeMutablePointer<Float>) throws {
        precondition(x == planesWritten, "planes must come in order")
        let voxels = extent.y * extent.z
        let labels = wholeLabels.map { $0 + x * voxels } ?? planeLabels
        Stitcher.labels(of: probabilities, classes: classes, count: voxels, into: labels)
        if let labelValues {
            for v in 0..<voxels { labels[v] = labelValues[Int(labels[v])] }
        }
        try labelWriter?.append(UnsafeBufferPointer(start: planeLabels, count: voxels))
        if let probabilityWriter, let planeProbabilities {
            Precision.narrow(probabilities, into: planeProbabilities, count: voxels * classes)
            try probabilityWriter.append(UnsafeBufferPointer(start: planeProbabilities, count: voxels * classes))
        }
        planesWritten += 1
    }

    /// Completes the files once every plane has come.
    public func finish() throws {
        precondition(planesWritten == extent.x, "\(planesWritten) of \(extent.x) planes written")
        try labelWriter?.finish()
        try probabilityWriter?.finish()
        if let wholeLabels {
            try NIfTIWriter.writeLabels(UnsafeBufferPointer(start: wholeLabels, count: extent.volume), shape: extent,
                                        like: niftiReference, to: labelsPath)
        }
    }
}
