import Foundation

/// A training set on disk, listed but not yet opened.
///
/// Layouts (docs/formats.md, "Datasets"), detected from the folder's contents:
/// - a folder with `images/` and `masks/` (or `labels/`), pairing files by stem (`a.npy` ↔ `a.nii.gz` pair too);
/// - a `manifest.json` (in the folder, or named directly) listing the pairs and, optionally, the validation cases;
/// - nnU-Net v2 raw (`imagesTr/CASE_XXXX`, one file per channel, `labelsTr/`, `dataset.json`);
/// - the Medical Segmentation Decathlon (`imagesTr/` of 4D NIfTI, `labelsTr/`, `dataset.json`);
/// - BraTS (one folder per case with `_flair`, `_t1`, `_t1ce`, `_t2` and `_seg` volumes).
/// Layouts that declare their labels (dataset.json, BraTS) train on classes 0..K−1 in the order of the values
/// (`labelValues`); predictions are written back in the stored values.
///
/// Listing touches only directory entries; `check()` reads the headers; `DatasetScan` reads the voxels.
/// Problems that concern one file (an image without its mask) are collected, so that `inspect` can report all
/// of them; problems that leave nothing to list (an empty folder) are thrown.
public struct Dataset: Sendable {
    public enum Layout: Sendable, Equatable {
        /// `images/` beside `masks/` (or `labels/`): the two folders' paths.
        case folders(images: String, masks: String)
        /// The manifest's path.
        case manifest(String)
        /// nnU-Net v2 raw: the `dataset.json` path.
        case nnUNet(String)
        /// Medical Segmentation Decathlon: the `dataset.json` path.
        case decathlon(String)
        /// BraTS case folders: the dataset folder.
        case brats(String)
        /// A pack written by `patchtrain pack`: its path.
        case pack(String)

        /// The layout's name, as `inspect` reports it.
        public var name: String {
            switch self {
            case .folders(_, let masks): return "images/ + \(masks.split(separator: "/").last ?? "masks")/"
            case .manifest: return "manifest"
            case .nnUNet: return "nnU-Net v2 raw"
            case .decathlon: return "Medical Segmentation Decathlon"
            case .brats: return "BraTS case folders"
            case .pack: return "pack"
            }
        }
    }

    /// The folder or manifest as the user named it.
    public let path: String
    public let layout: Layout
    /// Every paired case: sorted by id for folders, in the manifest's order for a manifest.
    public let entries: [DatasetEntry]
    /// The number of classes given by the caller or the manifest; nil when the masks are to tell.
    public let classes: Int?
    /// The stored label value of each class when the layout declares its labels (`[0, 1, 2, 4]` for BraTS);
    /// nil: classes are the stored values.
    public let labelValues: [Int]?
    /// The channel names the layout declares, in channel order.
    public let channelNames: [String]?
    /// The opened pack, when the dataset is one (its cases are read from it, not from files).
    public let pack: PackArchive?
    /// Problems found while listing: unpaired or unrecognised files, duplicate ids, unknown validation ids.
    public let listingProblems: [InputError]

    public var trainingEntries: [DatasetEntry] { entries.filter { !$0.isValidation } }
    public var validationEntries: [DatasetEntry] { entries.filter(\.isValidation) }

    /// Lists the dataset at `path` (a folder, or a manifest `.json` file).
    /// - Parameters:
    ///   - classes: the number of classes, if known; overrides the manifest's `classes`.
    ///   - split: how to choose validation cases; nil keeps the manifest's `validation` list (or none).
    ///     An explicit split replaces the manifest's list.
    public init(path: String, classes: Int? = nil, split: ValidationSplit? = nil) throws {
        let path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        if let classes, let problem = LabelClasses.problem(classes) { throw InputError(path, "the number of classes is \(problem)") }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw InputError(path, "no such file or folder")
        }
        let listing: DatasetListing
        if !isFolder.boolValue && path.lowercased().hasSuffix(".ptpack") {
            listing = try DatasetListing(pack: path)
        } else if !isFolder.boolValue {
            guard path.lowercased().hasSuffix(".json") else {
                throw InputError(path, "not a dataset (expected a folder with images/ and masks/, a manifest .json, or a .ptpack)")
            }
            listing = try DatasetListing(manifest: path)
        } else {
            listing = try DatasetListing.detecting(folder: path)
        }

        var entries = listing.entries
        var problems = listing.problems
        if let split {
            let chosen = try split.validationIDs(from: entries.map(\.id), folder: path)
            entries = entries.map { $0.with(validation: chosen.contains($0.id)) }
        } else if let named = listing.validationIDs {
            let known = Set(entries.map(\.id))
            for id in named where !known.contains(id) {
                problems.append(InputError(listing.manifestPath ?? path, "validation names unknown case '\(id)'"))
            }
            let chosen = Set(named)
            entries = entries.map { $0.with(validation: chosen.contains($0.id)) }
            if !entries.isEmpty && entries.allSatisfy(\.isValidation) {
                problems.append(InputError(listing.manifestPath ?? path, "every case is in validation; none is left to train on"))
            }
        }
        self.path = path
        self.layout = listing.layout
        self.entries = entries
        self.classes = classes ?? listing.classes ?? listing.labelValues?.count
        self.labelValues = listing.labelValues
        self.channelNames = listing.channelNames
        self.pack = listing.pack
        self.listingProblems = problems
    }
}
