import Foundation
import PatchTrain

extension InspectReport {
    /// The report of a checked and scanned dataset: one row per case that opened, the totals, every problem.
    init(dataset data: Dataset, check: DatasetCheck, scan: DatasetScan, problems: [InputError]) {
        dataset = data.path
        layout = data.layout.name
        channelNames = data.channelNames
        labels = data.labelValues
        spacings = InspectReport.spacings(check.cases.map(\.trainingCase.image))
        classes = scan.classes
        listed = data.entries.count
        func volume(_ v: any VolumeSource) -> Volume {
            let s = v.shape
            let shape = s.channels == 1 ? [s.x, s.y, s.z] : [s.x, s.y, s.z, s.channels]
            var info = stat()
            let bytes = stat(v.path, &info) == 0 ? Int(info.st_size) : 0
            return Volume(path: v.path, shape: shape, dtype: v.elementType.rawValue, channels: s.channels, bytes: bytes)
        }
        cases = zip(check.cases, scan.cases).map { checked, scanned in
            let intensity = scanned.imageMinimum.map { Intensity(min: $0, max: scanned.imageMaximum!, mean: scanned.imageMean!) }
            return Case(
                id: checked.id,
                split: checked.entry.isValidation ? "validation" : "training",
                image: volume(checked.trainingCase.image),
                mask: volume(checked.trainingCase.mask),
                maskKind: checked.trainingCase.mask.oneHotClasses == nil ? "labels" : "one-hot",
                diskBytes: checked.diskBytes,
                classVoxels: (0..<scan.classes).map { $0 < scanned.classVoxels.count ? scanned.classVoxels[$0] : 0 },
                classFractions: scanned.classFractions(classes: scan.classes),
                intensity: intensity)
        }
        totals = Totals(
            cases: cases.count,
            training: cases.filter { $0.split == "training" }.count,
            validation: cases.filter { $0.split == "validation" }.count,
            diskBytes: cases.reduce(0) { $0 + $1.diskBytes },
            classVoxels: scan.classVoxels,
            classFractions: scan.classFractions)
        self.problems = problems.map { Problem(file: $0.file, problem: $0.problem) }
    }

    /// The distinct NIfTI voxel spacings among `images`, in order of first appearance.
    static func spacings(_ images: [any VolumeSource]) -> [Spacing] {
        var found: [Spacing] = []
        for image in images {
            let spacing = VoxelSpacing.of([image])
            guard spacing.unit == .millimetre else { continue }
            let mm = [spacing.size.x, spacing.size.y, spacing.size.z]
            if let i = found.firstIndex(where: { $0.millimetres == mm }) { found[i].cases += 1 } else { found.append(Spacing(millimetres: mm, cases: 1)) }
        }
        return found
    }
}
