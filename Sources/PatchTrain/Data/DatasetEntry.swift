/// One image/mask pair as a dataset lists it: paths only, nothing opened yet.
public struct DatasetEntry: Sendable, Hashable {
    /// The case's name: the shared file stem, or the manifest's `id`.
    public let id: String
    public let imagePath: String
    public let maskPath: String
    /// Set aside for validation (by the manifest or a `ValidationSplit`).
    public let isValidation: Bool

    public init(id: String, imagePath: String, maskPath: String, isValidation: Bool = false) {
        self.id = id
        self.imagePath = imagePath
        self.maskPath = maskPath
        self.isValidation = isValidation
    }

    func with(validation: Bool) -> DatasetEntry {
        DatasetEntry(id: id, imagePath: imagePath, maskPath: maskPath, isValidation: validation)
    }
}
