import Foundation

/// The volumes an inference run reads: one file, every volume file in a folder, a dataset folder's `images/`,
/// or every case of a dataset in another layout (nnU-Net v2 raw, Decathlon, BraTS), its channels stacked.
public struct InferenceInput {
    /// The name outputs are written under: the file name without its extension, or the dataset's case id.
    public let stem: String
    public let volume: any VolumeSource
    /// The stored label value of each class, when the dataset declares them: predictions are written in them.
    public var labelValues: [Int]?
    /// The header of a NIfTI input (a stack's first channel), whose geometry a NIfTI output keeps.
    public var niftiHeader: NIfTIHeader? { VolumeGeometry.niftiHeader(of: volume) }
}

public enum InferenceInputs {
    public static func open(_ path: String) throws -> [InferenceInput] {
        guard FileManager.default.fileExists(atPath: path) else { throw InputError(path, "no such file or folder") }
        if path.lowercased().hasSuffix(".ptpack") { return try openDataset(path) }
        guard FolderListing.isFolder(path) else { return [try openFile(path)] }
        if DatasetListing.declaresItsLabels(folder: path) { return try openDataset(path) }
        let images = (path as NSString).appendingPathComponent("images")
        let folder = FolderListing.isFolder(images) ? images : path
        let volumes = FolderListing.files(in: folder).filter { VolumeFormat.stem(of: $0.name) != nil }
        guard !volumes.isEmpty else { throw InputError(folder, "holds no \(VolumeFormat.namesForMessages) volumes") }
        return try volumes.map { try openFile($0.path) }
    }

    /// NIfTI label maps (`CASE.nii.gz`, the input's geometry) for a dataset in a layout that names them so
    /// (nnU-Net v2 raw, Decathlon, BraTS), `.npy` otherwise.
    public static func defaultFormat(for path: String) -> PredictionWriter.LabelFormat {
        FolderListing.isFolder(path) && DatasetListing.declaresItsLabels(folder: path) ? .nifti : .npy
    }

    /// Every case of the dataset at `folder`, named by case id, with the dataset's label values.
    static func openDataset(_ folder: String) throws -> [InferenceInput] {
        let dataset = try Dataset(path: folder)
        return try dataset.openCases().map { InferenceInput(stem: $0.id, volume: $0.image, labelValues: dataset.labelValues) }
    }

    static func openFile(_ path: String) throws -> InferenceInput {
        let name = (path as NSString).lastPathComponent
        guard let stem = VolumeFormat.stem(of: name) else { throw InputError(path, "not a \(VolumeFormat.namesForMessages) volume") }
        return InferenceInput(stem: stem, volume: try VolumeOpener.open(path))
    }
}
