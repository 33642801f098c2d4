/// One image/mask pair as a dataset lists it: paths only, nothing opened yet.
public struct DatasetEntry: Sendable, Hashable {
    /// The case's name: the shared file stem, the manifest's `id`, nnU-Net's case name or BraTS's folder name.
    public let id: String
    /// The image's files: one (whose channels are its last axis or 4th dimension), or one per channel in channel
    /// order (nnU-Net's `CASE_0000`, `CASE_0001`, …; BraTS's modalities).
    public let imagePaths: [String]
    /// The first image file: where the case's geometry and name come from.
    public var imagePath: String { imagePaths[0] }
    public let maskPath: String
    /// Set aside for validation (by the manifest or a `ValidationSplit`).
    public let isValidation: Bool

    public init(id: String, imagePath: String, maskPath: String, isValidation: Bool = false) {
        self.init(id: id, imagePaths: [imagePath], maskPath: maskPath, isValidation: isValidation)
    }

    public init(id: String, imagePaths: [String], maskPath: String, isValidation: Bool = false) {
        precondition(!imagePaths.isEmpty, "a case has at least one image file")
        self.id = id
        self.imagePaths = imagePaths
        self.maskPath = maskPath
        self.isValidation = isValidation
    }

    func with(validation: Bool) -> DatasetEntry {
        DatasetEntry(id: id, imagePaths: imagePaths, maskPath: maskPath, isValidation: validation)
    }
}
