import Foundation

/// nnU-Net v2 raw: `imagesTr/CASE_XXXX<ending>` (one file per channel, XXXX = the channel's four digits),
/// `labelsTr/CASE<ending>`, `dataset.json`. A case is listed when every channel and its label are there;
/// a missing channel or label is a problem naming the file that is missing.
extension DatasetListing {
    init(nnUNet folder: String, description: DatasetDescription, descriptionPath: String) throws {
        layout = .nnUNet(descriptionPath)
        labelValues = description.labelValues
        channelNames = description.channelNames
        let ending = description.fileEnding
        let images = "\(folder)/imagesTr", labels = "\(folder)/labelsTr"
        guard FolderListing.isFolder(images) else { throw InputError(folder, "no imagesTr/ folder beside dataset.json") }
        guard FolderListing.isFolder(labels) else { throw InputError(folder, "no labelsTr/ folder beside dataset.json") }
        // Channel files by case: the name is CASE_XXXX<ending>.
        var channelFiles: [String: [Int: String]] = [:]
        for (name, path) in FolderListing.files(in: images) {
            guard name.hasSuffix(ending), let parsed = DatasetListing.channelSuffix(String(name.dropLast(ending.count))) else {
                problems.append(InputError(path, "not CASE_XXXX\(ending) (nnU-Net names one file per channel)"))
                continue
            }
            channelFiles[parsed.id, default: [:]][parsed.channel] = path
        }
        var labelFiles: [String: String] = [:]
        for (name, path) in FolderListing.files(in: labels) where name.hasSuffix(ending) {
            labelFiles[String(name.dropLast(ending.count))] = path
        }
        guard !channelFiles.isEmpty else { throw InputError(images, "no CASE_XXXX\(ending) files") }
        let match = CaseFileMatch(channelFiles.mapValues { $0[0] ?? "" }, labelFiles)
        for (id, _, label) in match.matched {
            let files = channelFiles[id]!
            let missing = (0..<description.channelNames.count).filter { files[$0] == nil }
            if let first = missing.first {
                problems.append(InputError("\(images)/\(id)_\(String(format: "%04d", first))\(ending)",
                                           "missing: case '\(id)' needs \(description.channelNames.count) channel files"))
                continue
            }
            for extra in files.keys.sorted() where extra >= description.channelNames.count {
                problems.append(InputError(files[extra]!, "channel \(extra) beyond the \(description.channelNames.count) dataset.json names"))
            }
            let paths = (0..<description.channelNames.count).map { files[$0]! }
            entries.append(DatasetEntry(id: id, imagePaths: paths, maskPath: label))
        }
        for (id, _) in match.onlyFirst {
            problems.append(InputError("\(labels)/\(id)\(ending)", "missing: the label of case '\(id)'"))
        }
        for (_, path) in match.onlySecond {
            problems.append(InputError(path, "no images in imagesTr/ for this label"))
        }
    }

    /// `CASE_0003` → (`CASE`, 3); nil without a `_` and four digits at the end.
    static func channelSuffix(_ stem: String) -> (id: String, channel: Int)? {
        guard stem.count > 5, let underscore = stem.index(stem.endIndex, offsetBy: -5, limitedBy: stem.startIndex),
              stem[underscore] == "_" else { return nil }
        let digits = stem[stem.index(after: underscore)...]
        guard digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let channel = Int(digits) else { return nil }
        return (String(stem[..<underscore]), channel)
    }
}
