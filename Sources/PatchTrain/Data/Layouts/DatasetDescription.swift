import Foundation

/// `dataset.json` of an nnU-Net v2 raw dataset or of a Medical Segmentation Decathlon task: which of the two it
/// is, the channel names in channel order, and the label values (ascending, background first).
///
/// - nnU-Net v2: `"channel_names": {"0": "T2", "1": "ADC"}`, `"labels": {"background": 0, "tumour": 1}`,
///   `"file_ending": ".nii.gz"`; one file per channel, `CASE_0000…`.
/// - Decathlon: `"modality": {"0": "FLAIR", …}`, `"labels": {"0": "background", "1": "edema", …}`; one 4D file
///   per case with the channels in the 4th dimension.
///
/// Every number is range-checked; anything else is an `InputError` naming the file.
struct DatasetDescription: Equatable {
    enum Kind: Equatable { case nnUNet, decathlon }

    var kind: Kind
    var channelNames: [String]
    /// Stored label values, ascending; index = the class patchtrain trains.
    var labelValues: [Int]
    /// nnU-Net's `file_ending` (`.nii.gz` when absent); the Decathlon's files are `.nii.gz`.
    var fileEnding: String

    init(path: String) throws {
        let data = try RegularFile.contents(path)
        guard let object = try? JSONSerialization.jsonObject(with: data), let json = object as? [String: Any] else {
            throw InputError(path, "not a JSON object (expected nnU-Net's or the Decathlon's dataset.json)")
        }
        let labels = json["labels"] as? [String: Any]
        if let channels = json["channel_names"] as? [String: Any] {
            kind = .nnUNet
            channelNames = try DatasetDescription.ordered(channels, field: "channel_names", path: path)
            guard let labels else { throw InputError(path, "missing 'labels'") }
            labelValues = try labels.map { name, value in
                guard let number = value as? Int else {
                    throw InputError(path, "labels.\(name) is not one integer (region labels are not supported)")
                }
                return number
            }.sorted()
            fileEnding = json["file_ending"] as? String ?? ".nii.gz"
        } else if let modality = json["modality"] as? [String: Any] {
            kind = .decathlon
            channelNames = try DatasetDescription.ordered(modality, field: "modality", path: path)
            guard let labels else { throw InputError(path, "missing 'labels'") }
            labelValues = try labels.keys.map { key in
                guard let number = Int(key) else { throw InputError(path, "labels key '\(key)' is not an integer") }
                return number
            }.sorted()
            fileEnding = ".nii.gz"
        } else {
            throw InputError(path, "neither 'channel_names' (nnU-Net v2) nor 'modality' (Decathlon)")
        }
        guard VolumeFormat(path: "x" + fileEnding) != nil else {
            throw InputError(path, "file_ending '\(fileEnding)' is not \(VolumeFormat.namesForMessages)")
        }
        guard labelValues.first == 0, Set(labelValues).count == labelValues.count, (labelValues.last ?? 0) <= 255 else {
            throw InputError(path, "labels \(labelValues) must be distinct integers in 0...255, background 0 among them")
        }
        if let problem = LabelClasses.problem(labelValues.count) { throw InputError(path, "labels: \(problem)") }
    }

    /// `{"0": a, "1": b}` as `[a, b]`: keys must be exactly 0..<n.
    private static func ordered(_ map: [String: Any], field: String, path: String) throws -> [String] {
        let keys = map.keys.compactMap { Int($0) }.sorted()
        guard !map.isEmpty, map.count <= 64, keys == Array(0..<map.count) else {
            throw InputError(path, "'\(field)' keys must be \"0\"…\"n-1\" for n = 1…64 channels")
        }
        return keys.map { "\(map[String($0)]!)" }
    }
}
