import Foundation

/// BraTS (2018–2021): one folder per case, `CASE/CASE_flair`, `_t1`, `_t1ce`, `_t2` and `_seg` (`.nii.gz` or
/// `.nii`), labels {0, 1, 2, 4}. The channels are the four modalities in that order; label 4 (enhancing tumour)
/// trains as class 3 and is written back as 4.
extension DatasetListing {
    /// The modality suffixes in channel order.
    static let bratsModalities = ["flair", "t1", "t1ce", "t2"]
    static let bratsLabels = [0, 1, 2, 4]

    /// Whether `folder` looks like BraTS: a sub-folder holding a `_seg` and a `_flair` volume.
    static func looksLikeBraTS(_ folder: String) -> Bool {
        FolderListing.visibleNames(in: folder).prefix(8).contains { name in
            let files = FolderListing.files(in: "\(folder)/\(name)").compactMap { VolumeFormat.stem(of: $0.name) }
            return files.contains { $0.hasSuffix("_seg") } && files.contains { $0.hasSuffix("_flair") }
        }
    }

    init(brats folder: String) throws {
        layout = .brats(folder)
        labelValues = DatasetListing.bratsLabels
        channelNames = DatasetListing.bratsModalities
        for name in FolderListing.visibleNames(in: folder) {
            let caseFolder = "\(folder)/\(name)"
            guard FolderListing.isFolder(caseFolder) else {
                problems.append(InputError(caseFolder, "not a case folder (BraTS holds one folder per case)"))
                continue
            }
            var bySuffix: [String: String] = [:]
            for (file, path) in FolderListing.files(in: caseFolder) {
                guard let stem = VolumeFormat.stem(of: file), let cut = stem.lastIndex(of: "_") else { continue }
                bySuffix[stem[stem.index(after: cut)...].lowercased()] = path
            }
            let missing = (DatasetListing.bratsModalities + ["seg"]).filter { bySuffix[$0] == nil }
            guard missing.isEmpty else {
                problems.append(InputError(caseFolder, "missing \(missing.map { "\(name)_\($0).nii.gz" }.joined(separator: ", "))"))
                continue
            }
            entries.append(DatasetEntry(id: name, imagePaths: DatasetListing.bratsModalities.map { bySuffix[$0]! },
                                        maskPath: bySuffix["seg"]!))
        }
        guard !entries.isEmpty || !problems.isEmpty else { throw InputError(folder, "no case folders") }
    }
}
