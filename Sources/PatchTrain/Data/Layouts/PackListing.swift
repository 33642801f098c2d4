/// A pack (`patchtrain pack`) read as a dataset: its cases in stored order, its validation flags as the
/// validation list, its classes, label values and channel names as the source layout declared them.
extension DatasetListing {
    init(pack path: String) throws {
        let archive = try PackArchive(path: path)
        layout = .pack(path)
        pack = archive
        let directory = archive.directory
        classes = directory.classes
        labelValues = directory.labelValues
        channelNames = directory.channelNames
        entries = directory.cases.map { DatasetEntry(id: $0.id, imagePath: path, maskPath: path) }
        let validation = directory.cases.filter(\.validation).map(\.id)
        validationIDs = validation.isEmpty ? nil : validation
    }
}
