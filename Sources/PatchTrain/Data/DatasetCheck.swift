#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A case whose image and mask opened and agree with each other.
public struct CheckedCase: Sendable {
    public let entry: DatasetEntry
    public let trainingCase: TrainingCase
    /// Image plus mask file sizes.
    public let diskBytes: Int

    public var id: String { entry.id }
}

/// The result of reading every header of a dataset: what opened, and what is wrong (cheap: no voxel is read).
public struct DatasetCheck: Sendable {
    /// The cases with no structural problem, in the dataset's order.
    public let cases: [CheckedCase]
    /// Every problem found while listing and opening, in case order; each names its file.
    public let problems: [InputError]
    /// The number of classes: given (argument or manifest), else the channel count the one-hot masks agree on;
    /// nil when every mask is a label map and nobody said (the content scan then finds the largest label).
    public let classes: Int?

    public var trainingCases: [TrainingCase] { cases.filter { !$0.entry.isValidation }.map(\.trainingCase) }
    public var validationCases: [TrainingCase] { cases.filter(\.entry.isValidation).map(\.trainingCase) }
}

extension Dataset {
    /// Opens every image and mask and checks what their headers can tell: the file is a readable volume of a
    /// supported dtype, the mask's spatial shape is the image's, a one-hot mask has one channel per class, and
    /// all images have the same number of channels.
    public func check() -> DatasetCheck {
        struct Opened {
            var entry: DatasetEntry
            var image: (any VolumeSource)?
            var mask: (any VolumeSource)?
            var problems: [InputError] = []
        }
        var opened: [Opened] = entries.map { entry in
            var item = Opened(entry: entry)
            if let pack, let index = pack.caseIndex(of: entry.id) {
                item.image = PackedVolume(archive: pack, caseIndex: index, part: .image)
                item.mask = PackedVolume(archive: pack, caseIndex: index, part: .labels)
                return item
            }
            switch Dataset.openImage(entry.imagePaths) {
            case .success(let volume): item.image = volume
            case .failure(let problem): item.problems.append(problem)
            }
            switch Dataset.openVolume(entry.maskPath) {
            case .success(let volume): item.mask = renumbered(volume)
            case .failure(let problem): item.problems.append(problem)
            }
            if let image = item.image, image.elementType == .bool {
                item.problems.append(InputError(image.path, "boolean image (expected numbers: float or integer)"))
                item.image = nil
            }
            if let image = item.image, let mask = item.mask, image.shape.spatial != mask.shape.spatial {
                item.problems.append(InputError(mask.path, "shape \(mask.shape) does not match its image's \(image.shape) (\(DatasetListing.fileName(image.path)))"))
                item.mask = nil
            }
            return item
        }

        // Classes: as given, else the count most one-hot masks agree on; a mask that disagrees is the odd one out.
        let oneHotCounts = opened.compactMap { $0.mask?.oneHotClasses }
        let classes = self.classes ?? Dataset.mostCommon(oneHotCounts)
        let imageChannels = Dataset.mostCommon(opened.compactMap { $0.image?.shape.channels })
        for i in opened.indices {
            if let mask = opened[i].mask, let channels = mask.oneHotClasses, let problem = LabelClasses.problem(channels) {
                opened[i].problems.append(InputError(mask.path, "one-hot mask with \(problem)"))
            } else if let mask = opened[i].mask, let channels = mask.oneHotClasses, let classes, channels != classes {
                let expected = self.classes != nil ? "expected \(classes) (one per class)" : "the other masks have \(classes)"
                opened[i].problems.append(InputError(mask.path, "one-hot mask has \(channels) channels; \(expected)"))
            }
            if let image = opened[i].image, let imageChannels, image.shape.channels != imageChannels {
                opened[i].problems.append(InputError(image.path, "image has \(image.shape.channels) channels; the other images have \(imageChannels)"))
            }
        }

        var cases: [CheckedCase] = []
        var problems = listingProblems
        for item in opened {
            problems += item.problems
            guard item.problems.isEmpty, let image = item.image, let mask = item.mask else { continue }
            let packed = (image as? PackedVolume).map { $0.archive.diskBytes(ofCase: $0.caseIndex) }
            let bytes = packed ?? item.entry.imagePaths.reduce(Dataset.fileSize(item.entry.maskPath)) { $0 + Dataset.fileSize($1) }
            cases.append(CheckedCase(entry: item.entry, trainingCase: TrainingCase(id: item.entry.id, image: image, mask: mask), diskBytes: bytes))
        }
        return DatasetCheck(cases: cases, problems: problems, classes: classes)
    }

    /// Every case, opened; throws the first problem `check()` finds. Does not read voxels (see `DatasetScan`).
    public func openCases() throws -> [TrainingCase] {
        let result = check()
        if let first = result.problems.first { throw first }
        return result.cases.map(\.trainingCase)
    }

    /// The cases opened and split into training and validation; throws the first problem `check()` finds.
    public func openSplit() throws -> (training: [TrainingCase], validation: [TrainingCase]) {
        let result = check()
        if let first = result.problems.first { throw first }
        return (result.trainingCases, result.validationCases)
    }

    /// A label map read through `labelValues` when the layout declares values that are not already 0..K−1.
    func renumbered(_ mask: any VolumeSource) -> any VolumeSource {
        guard let labelValues, labelValues != Array(0..<labelValues.count), mask.shape.channels == 1 else { return mask }
        return LabelMappedVolume(mask, labelValues: labelValues)
    }

    /// Opens a case's image: one file, or one single-channel file per channel read as one volume.
    static func openImage(_ paths: [String]) -> Result<any VolumeSource, InputError> {
        guard paths.count > 1 else { return openVolume(paths[0]) }
        var channels: [any VolumeSource] = []
        for path in paths {
            switch openVolume(path) {
            case .success(let volume):
                if volume.shape.channels != 1 {
                    return .failure(InputError(path, "has \(volume.shape.channels) channels; a per-channel file must have one"))
                }
                if let first = channels.first, first.shape.spatial != volume.shape.spatial {
                    return .failure(InputError(path, "shape \(volume.shape.spatial) differs from the case's first channel's \(first.shape.spatial) (\(DatasetListing.fileName(first.path)))"))
                }
                channels.append(volume)
            case .failure(let problem):
                return .failure(problem)
            }
        }
        return .success(ChannelStackVolume(channels))
    }

    /// Opens one volume; any failure becomes an `InputError` naming the file.
    static func openVolume(_ path: String) -> Result<any VolumeSource, InputError> {
        do {
            return .success(try VolumeOpener.open(path))
        } catch let error as InputError {
            return .failure(error)
        } catch {
            return .failure(InputError(path, "cannot open (\(error))"))
        }
    }

    /// The most frequent value; ties go to the one seen first.
    static func mostCommon(_ values: [Int]) -> Int? {
        var counts: [Int: Int] = [:]
        for v in values { counts[v, default: 0] += 1 }
        var best: Int?
        for v in values where best == nil || counts[v]! > counts[best!]! { best = v }
        return best
    }

    static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }
}
