import Foundation

/// The volumes an inference run reads: one file, every volume file in a folder, or a dataset folder's `images/`.
public struct InferenceInput {
    /// The name outputs are written under: the file name without its extension.
    public let stem: String
    public let volume: any VolumeSource
    /// The header of a NIfTI input, whose geometry a NIfTI output keeps.
    public var niftiHeader: NIfTIHeader? { (volume as? NIfTIVolume)?.header }
}

public enum InferenceInputs {
    public static func open(_ path: String) throws -> [InferenceInput] {
        guard FileManager.default.fileExists(atPath: path) else { throw InputError(path, "no such file or folder") }
        guard FolderListing.isFolder(path) else { return [try openFile(path)] }
        let images = (path as NSString).appendingPathComponent("images")
        let folder = FolderListing.isFolder(images) ? images : path
        let volumes = FolderListing.files(in: folder).filter { VolumeFormat.stem(of: $0.name) != nil }
        guard !volumes.isEmpty else { throw InputError(folder, "holds no \(VolumeFormat.namesForMessages) volumes") }
        return try volumes.map { try openFile($0.path) }
    }

    static func openFile(_ path: String) throws -> InferenceInput {
        let name = (path as NSString).lastPathComponent
        guard let stem = VolumeFormat.stem(of: name) else { throw InputError(path, "not a \(VolumeFormat.namesForMessages) volume") }
        return InferenceInput(stem: stem, volume: try VolumeOpener.open(path))
    }
}
