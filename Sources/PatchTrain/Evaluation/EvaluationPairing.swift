import Foundation

/// One case to score: a prediction file and its truth file.
public struct EvaluationPair: Sendable, Equatable {
    public let id: String
    public let predictionPath: String
    public let truthPath: String
}

/// Pairs a folder of predictions with the truth, by case id.
///
/// - Truth: a dataset (a folder with `masks/` or `labels/` inside, or a `manifest.json`, or a manifest named
///   directly: its masks are the truth), or a flat folder of volume files.
/// - Predictions: a flat folder of volume files.
/// - A file's case id is its stem (`case_000.nii.gz` → `case_000`) without a trailing `_pred` or `_seg`
///   (`case_000_pred.npy`, and BraTS's `BraTS2021_00000_seg.nii.gz`, are cases `case_000` and `BraTS2021_00000`).
///   A manifest's `id` is used as written.
/// - Hidden files, sub-folders and files that are not volumes are ignored (a missing case is reported anyway).
///
/// Problems of single files (a case with no prediction, a prediction with no truth, two files for one case) are
/// collected so the CLI can list them all; a folder that cannot be listed at all throws.
public struct EvaluationPairing: Sendable {
    public let pairs: [EvaluationPair]
    public let problems: [InputError]
    /// Where the truth files were listed (the masks folder, the manifest, or the folder itself).
    public let truthSource: String
    /// The stored label values the truth's dataset declares (BraTS, dataset.json), ascending; nil otherwise.
    public let labelValues: [Int]?
    /// The truth's pack, when the truth is one: its labels are read from it, in the stored label values.
    public let truthPack: PackArchive?

    /// Opens the truth of `pair`: its file, or its labels in the truth's pack (read as the stored values).
    public func openTruth(_ pair: EvaluationPair) throws -> any VolumeSource {
        guard let truthPack else { return try VolumeOpener.open(pair.truthPath) }
        guard let index = truthPack.caseIndex(of: pair.id) else { throw InputError(truthPack.path, "no case '\(pair.id)'") }
        let labels = PackedVolume(archive: truthPack, caseIndex: index, part: .labels)
        guard let labelValues, labelValues != Array(0..<labelValues.count) else { return labels }
        return LabelMappedVolume(classesOf: labels, readAs: labelValues)
    }

    /// Suffixes that are not part of a case id.
    public static let ignoredSuffixes = ["_pred", "_seg"]

    public init(predictions: String, truth: String) throws {
        let predictions = EvaluationPairing.trimmed(predictions), truth = EvaluationPairing.trimmed(truth)
        var problems: [InputError] = []
        var pack: PackArchive?
        let (truthSource, truthFiles, labelValues) = try EvaluationPairing.truthFiles(truth, pack: &pack, problems: &problems)
        guard FolderListing.isFolder(predictions) else {
            throw InputError(predictions, FileManager.default.fileExists(atPath: predictions) ? "not a folder (expected a folder of predicted label maps)" : "no such folder")
        }
        let predictedFiles = EvaluationPairing.volumes(in: predictions, problems: &problems)
        guard !predictedFiles.isEmpty else {
            throw InputError(predictions, "no prediction volumes (\(VolumeFormat.namesForMessages))")
        }
        let match = CaseFileMatch(truthFiles, predictedFiles)
        for (id, truthPath) in match.onlyFirst {
            problems.append(InputError(truthPath, "no prediction for case '\(id)' in \(predictions) (expected \(id).npy, .nii or .nii.gz, optionally with _pred or _seg before the extension)"))
        }
        for (id, predictionPath) in match.onlySecond {
            problems.append(InputError(predictionPath, "no truth for case '\(id)' in \(truthSource)"))
        }
        self.pairs = match.matched.map { EvaluationPair(id: $0.id, predictionPath: $0.second, truthPath: $0.first) }
        self.problems = problems
        self.truthSource = truthSource
        self.labelValues = labelValues
        self.truthPack = pack
    }

    /// The case id of a volume file name; nil if it is not a volume name.
    public static func caseID(fileName: String) -> String? {
        guard let stem = VolumeFormat.stem(of: fileName) else { return nil }
        for suffix in ignoredSuffixes where stem.count > suffix.count && stem.lowercased().hasSuffix(suffix) {
            return String(stem.dropLast(suffix.count))
        }
        return stem
    }

    private static func truthFiles(_ truth: String, pack: inout PackArchive?,
                                   problems: inout [InputError]) throws -> (String, [String: String], [Int]?) {
        let isPack = !FolderListing.isFolder(truth) && truth.lowercased().hasSuffix(".ptpack")
        if isPack || (FolderListing.isFolder(truth) && DatasetListing.declaresItsLabels(folder: truth)) {
            let dataset = try Dataset(path: truth)
            pack = dataset.pack
            problems += dataset.listingProblems
            return (truth, Dictionary(dataset.entries.map { ($0.id, $0.maskPath) }) { first, _ in first }, dataset.labelValues)
        }
        let (source, files) = try plainTruthFiles(truth, problems: &problems)
        return (source, files, nil)
    }

    private static func plainTruthFiles(_ truth: String, problems: inout [InputError]) throws -> (String, [String: String]) {
        let manager = FileManager.default
        if !FolderListing.isFolder(truth) {
            guard manager.fileExists(atPath: truth) else { throw InputError(truth, "no such file or folder") }
            guard truth.lowercased().hasSuffix(".json") else {
                throw InputError(truth, "not a truth folder (expected a dataset folder, a manifest .json, or a folder of label volumes)")
            }
            return (truth, try manifestMasks(truth, problems: &problems))
        }
        if manager.fileExists(atPath: "\(truth)/manifest.json") {
            return ("\(truth)/manifest.json", try manifestMasks("\(truth)/manifest.json", problems: &problems))
        }
        let maskFolders = ["masks", "labels"].filter { FolderListing.isFolder("\(truth)/\($0)") }
        guard maskFolders.count <= 1 else { throw InputError(truth, "both masks/ and labels/ exist; keep only one") }
        let folder = maskFolders.first.map { "\(truth)/\($0)" } ?? truth
        let files = volumes(in: folder, problems: &problems)
        guard !files.isEmpty else { throw InputError(folder, "no truth volumes (\(VolumeFormat.namesForMessages))") }
        return (folder, files)
    }

    private static func manifestMasks(_ path: String, problems: inout [InputError]) throws -> [String: String] {
        let manifest = try DatasetManifest(path: path)
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ""
        var masks: [String: String] = [:]
        for (index, item) in manifest.cases.enumerated() {
            let mask = item.mask.hasPrefix("/") || folder.isEmpty ? item.mask : "\(folder)/\(item.mask)"
            let image = item.image.split(separator: "/").last.map(String.init) ?? item.image
            guard let id = item.id ?? VolumeFormat.stem(of: image) else {
                problems.append(InputError(path, "cases[\(index)]: no id, and image '\(item.image)' is not a volume file"))
                continue
            }
            if masks[id] != nil {
                problems.append(InputError(path, "cases[\(index)]: duplicate id '\(id)'"))
                continue
            }
            masks[id] = mask
        }
        guard !masks.isEmpty else { throw InputError(path, "no cases") }
        return masks
    }

    /// Volume files directly in `folder` by case id; a second file for one id is a problem.
    private static func volumes(in folder: String, problems: inout [InputError]) -> [String: String] {
        var byID: [String: String] = [:]
        for (name, path) in FolderListing.files(in: folder) {
            guard let id = caseID(fileName: name) else { continue }
            if let other = byID[id] {
                problems.append(InputError(path, "second volume for case '\(id)' (also \(other.split(separator: "/").last ?? ""))"))
                continue
            }
            byID[id] = path
        }
        return byID
    }

    private static func trimmed(_ path: String) -> String {
        path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }
}
