/// Which layout a dataset folder is in, told from its contents, in this order: a `manifest.json`; a
/// `dataset.json` beside `imagesTr/` (nnU-Net v2 when it names `channel_names`, the Decathlon when it names
/// `modality`); `images/` with `masks/` or `labels/`; BraTS case folders.
extension DatasetListing {
    static func detecting(folder: String) throws -> DatasetListing {
        if FolderListing.isRegularFile("\(folder)/manifest.json") {
            return try DatasetListing(manifest: "\(folder)/manifest.json")
        }
        let descriptionPath = "\(folder)/dataset.json"
        if FolderListing.isRegularFile(descriptionPath), FolderListing.isFolder("\(folder)/imagesTr") {
            let description = try DatasetDescription(path: descriptionPath)
            switch description.kind {
            case .nnUNet: return try DatasetListing(nnUNet: folder, description: description, descriptionPath: descriptionPath)
            case .decathlon: return try DatasetListing(decathlon: folder, description: description, descriptionPath: descriptionPath)
            }
        }
        if !FolderListing.isFolder("\(folder)/images"), DatasetListing.looksLikeBraTS(folder) {
            return try DatasetListing(brats: folder)
        }
        return try DatasetListing(folder: folder)
    }
}

extension DatasetListing {
    /// Whether `folder` is in a layout that declares its labels and channels (nnU-Net v2, Decathlon, BraTS),
    /// whose cases are more than the files in it: `infer` then reads it as a dataset, case by case.
    static func declaresItsLabels(folder: String) -> Bool {
        if FolderListing.isRegularFile("\(folder)/manifest.json") || FolderListing.isFolder("\(folder)/images") { return false }
        if FolderListing.isRegularFile("\(folder)/dataset.json") && FolderListing.isFolder("\(folder)/imagesTr") { return true }
        return looksLikeBraTS(folder)
    }
}
