import Foundation

/// Medical Segmentation Decathlon: `imagesTr/CASE.nii.gz` (4D, the channels in the 4th dimension),
/// `labelsTr/CASE.nii.gz`, `dataset.json` with `modality` and `labels`. Files are paired by name; the
/// Decathlon's `._*` resource-fork files are hidden names and skipped like any other.
extension DatasetListing {
    init(decathlon folder: String, description: DatasetDescription, descriptionPath: String) throws {
        layout = .decathlon(descriptionPath)
        labelValues = description.labelValues
        channelNames = description.channelNames
        let images = "\(folder)/imagesTr", labels = "\(folder)/labelsTr"
        guard FolderListing.isFolder(images) else { throw InputError(folder, "no imagesTr/ folder beside dataset.json") }
        guard FolderListing.isFolder(labels) else { throw InputError(folder, "no labelsTr/ folder beside dataset.json") }
        let imageFiles = DatasetListing.volumes(in: images, problems: &problems)
        let labelFiles = DatasetListing.volumes(in: labels, problems: &problems)
        guard !imageFiles.isEmpty else { throw InputError(images, "no volumes (\(VolumeFormat.namesForMessages))") }
        let match = CaseFileMatch(imageFiles, labelFiles)
        entries += match.matched.map { DatasetEntry(id: $0.id, imagePath: $0.first, maskPath: $0.second) }
        for (id, image) in match.onlyFirst {
            problems.append(InputError(image, "no matching label in labelsTr/ (expected labelsTr/\(id).nii.gz)"))
        }
        for (_, label) in match.onlySecond {
            problems.append(InputError(label, "no matching image in imagesTr/"))
        }
    }
}
