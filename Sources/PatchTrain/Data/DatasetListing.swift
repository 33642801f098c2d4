import Foundation

/// Turns a folder or a manifest into image/mask pairs, collecting the problems of single files on the way.
struct DatasetListing {
    var layout: Dataset.Layout
    var entries: [DatasetEntry] = []
    var problems: [InputError] = []
    var classes: Int?
    /// The manifest's `validation` list, if it has one.
    var validationIDs: [String]?
    var manifestPath: String?
    /// The stored label values of a layout that declares them (dataset.json, BraTS); index = class.
    var labelValues: [Int]?
    /// The channel names a layout declares, in channel order.
    var channelNames: [String]?
    /// The opened pack, when the dataset is one.
    var pack: PackArchive?

    static let expectedLayout = "expected images/ and masks/, manifest.json, nnU-Net's or the Decathlon's imagesTr/ + labelsTr/ + dataset.json, or BraTS case folders"

    init(manifest path: String) throws {
        let manifest = try DatasetManifest(path: path)
        layout = .manifest(path)
        manifestPath = path
        classes = manifest.classes
        validationIDs = manifest.validation
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ""
        func resolve(_ file: String) -> String {
            file.hasPrefix("/") || folder.isEmpty ? file : "\(folder)/\(file)"
        }
        var seen: [String: Int] = [:]
        for (index, item) in manifest.cases.enumerated() {
            let image = resolve(item.image)
            guard let id = item.id ?? VolumeFormat.stem(of: DatasetListing.fileName(image)) else {
                problems.append(InputError(path, "cases[\(index)]: image '\(item.image)' is not a volume file (expected \(VolumeFormat.namesForMessages))"))
                continue
            }
            if let earlier = seen[id] {
                problems.append(InputError(path, "cases[\(index)]: duplicate id '\(id)' (also cases[\(earlier)])"))
                continue
            }
            seen[id] = index
            entries.append(DatasetEntry(id: id, imagePath: image, maskPath: resolve(item.mask)))
        }
    }

    init(folder: String) throws {
        guard !FolderListing.visibleNames(in: folder).isEmpty else {
            throw InputError(folder, "empty folder (\(DatasetListing.expectedLayout))")
        }
        func isFolder(_ name: String) -> Bool { FolderListing.isFolder("\(folder)/\(name)") }
        guard isFolder("images") else { throw InputError(folder, "no images/ folder (\(DatasetListing.expectedLayout))") }
        let maskFolders = ["masks", "labels"].filter(isFolder)
        guard let maskName = maskFolders.first else { throw InputError(folder, "no masks/ (or labels/) folder beside images/") }
        guard maskFolders.count == 1 else { throw InputError(folder, "both masks/ and labels/ exist; keep only one") }
        let imageFolder = "\(folder)/images"
        let maskFolder = "\(folder)/\(maskName)"
        layout = .folders(images: imageFolder, masks: maskFolder)

        let images = DatasetListing.volumes(in: imageFolder, problems: &problems)
        let masks = DatasetListing.volumes(in: maskFolder, problems: &problems)
        guard !images.isEmpty else { throw InputError(imageFolder, "no volumes (\(VolumeFormat.namesForMessages))") }
        let match = CaseFileMatch(images, masks)
        entries += match.matched.map { DatasetEntry(id: $0.id, imagePath: $0.first, maskPath: $0.second) }
        for (id, image) in match.onlyFirst {
            problems.append(InputError(image, "no matching mask in \(maskName)/ (expected \(maskName)/\(id).npy, .nii or .nii.gz)"))
        }
        for (_, mask) in match.onlySecond {
            problems.append(InputError(mask, "no matching image in images/"))
        }
    }

    /// Volume files in `folder` by stem. Hidden files and sub-folders are skipped; any other file that is not a
    /// volume, and a second file with the same stem, is a problem (silently skipping them would lose a case).
    static func volumes(in folder: String, problems: inout [InputError]) -> [String: String] {
        var byStem: [String: String] = [:]
        for (name, path) in FolderListing.files(in: folder) {
            guard let stem = VolumeFormat.stem(of: name) else {
                problems.append(InputError(path, "not a volume file (expected \(VolumeFormat.namesForMessages))"))
                continue
            }
            if let other = byStem[stem] {
                problems.append(InputError(path, "second volume for case '\(stem)' (also \(fileName(other)))"))
                continue
            }
            byStem[stem] = path
        }
        return byStem
    }

    static func fileName(_ path: String) -> String {
        path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
    }
}
