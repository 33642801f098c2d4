/// The volume file formats patchtrain recognises, told apart by file name extension (case-insensitive).
public enum VolumeFormat: String, Sendable, CaseIterable {
    case npy
    case nifti
    case niftiGzip

    /// The extension as written on disk, with its dot.
    public var fileExtension: String {
        switch self {
        case .npy: return ".npy"
        case .nifti: return ".nii"
        case .niftiGzip: return ".nii.gz"
        }
    }

    /// The format of a file, from its name; nil for anything else.
    public init?(path: String) {
        let name = path.lowercased()
        // `.nii.gz` before `.nii` would not matter here, but longest-first keeps `stem` and this in step.
        guard let format = VolumeFormat.longestFirst.first(where: { name.hasSuffix($0.fileExtension) }) else { return nil }
        self = format
    }

    /// The file name without its volume extension (`case_001.nii.gz` → `case_001`); nil if not a volume name.
    /// Images and masks are paired by this stem.
    public static func stem(of fileName: String) -> String? {
        guard let format = VolumeFormat(path: fileName) else { return nil }
        let stem = String(fileName.dropLast(format.fileExtension.count))
        return stem.isEmpty ? nil : stem
    }

    static let longestFirst: [VolumeFormat] = [.niftiGzip, .nifti, .npy]

    /// `.npy, .nii or .nii.gz`, for messages.
    public static let namesForMessages = ".npy, .nii or .nii.gz"
}

/// Opens a volume file with the reader its extension calls for.
public enum VolumeOpener {
    public static func open(_ path: String) throws -> any VolumeSource {
        guard let format = VolumeFormat(path: path) else {
            throw InputError(path, "not a volume file (expected \(VolumeFormat.namesForMessages))")
        }
        // The one switch that maps formats to readers.
        switch format {
        case .npy:
            return try NPYVolume(path: path)
        case .nifti, .niftiGzip:
            return try NIfTIVolume(path: path)
        }
    }
}
