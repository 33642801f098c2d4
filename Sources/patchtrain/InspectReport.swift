import Foundation
import PatchTrain

/// What `inspect` found, as a value: rendered as an aligned table for people or as JSON for programs.
/// The JSON field names are documented in docs/cli.md.
struct InspectReport: Encodable {
    struct Volume: Encodable {
        var path: String
        var shape: [Int]
        var dtype: String
        var channels: Int
        var bytes: Int
    }
    struct Intensity: Encodable {
        var min: Float
        var max: Float
        var mean: Double
    }
    struct Case: Encodable {
        var id: String
        var split: String
        var image: Volume
        var mask: Volume
        var maskKind: String
        var diskBytes: Int
        var classVoxels: [Int]
        var classFractions: [Double]
        var intensity: Intensity?
    }
    struct Totals: Encodable {
        var cases: Int
        var training: Int
        var validation: Int
        var diskBytes: Int
        var classVoxels: [Int]
        var classFractions: [Double]
    }
    struct Problem: Encodable {
        var file: String
        var problem: String
    }

    var dataset: String
    var layout: String
    var classes: Int
    var listed: Int
    var cases: [Case]
    var totals: Totals
    var problems: [Problem]

    init(dataset data: Dataset, check: DatasetCheck, scan: DatasetScan, problems: [InputError]) {
        dataset = data.path
        switch data.layout {
        case .folders(_, let masks): layout = "images/ + \(masks.split(separator: "/").last ?? "masks")/"
        case .manifest: layout = "manifest"
        }
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

    func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // NaN cannot occur (statistics skip non-finite values), but never let one make the encoder throw.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The human report: a header line, one row per case, a totals row, and a problem count.
    func text() -> String {
        var out = "dataset \(dataset) (\(layout)): \(totals.cases) of \(listed) listed case\(listed == 1 ? "" : "s") opened"
        out += ", \(totals.training) training, \(totals.validation) validation; \(classes) class\(classes == 1 ? "" : "es")\n"
        var rows: [[String]] = [["id", "split", "image", "mask", "disk", "intensity min/max/mean", "class fractions"]]
        for c in cases {
            let intensity = c.intensity.map { "\(Self.number($0.min)) / \(Self.number($0.max)) / \(Self.number(Float($0.mean)))" } ?? "-"
            rows.append([
                c.id, c.split == "validation" ? "val" : "train",
                "\(Self.shape(c.image.shape)) \(c.image.dtype)",
                "\(Self.shape(c.mask.shape)) \(c.mask.dtype) \(c.maskKind)",
                Self.bytes(c.diskBytes), intensity,
                c.classFractions.map { String(format: "%.4f", $0) }.joined(separator: " "),
            ])
        }
        rows.append(["all", "", "", "", Self.bytes(totals.diskBytes), "",
                     totals.classFractions.map { String(format: "%.4f", $0) }.joined(separator: " ")])
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
            out += cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        }
        out += problems.isEmpty ? "no problems found\n" : "\(problems.count) problem\(problems.count == 1 ? "" : "s") found (listed on stderr)\n"
        return out
    }

    static func shape(_ s: [Int]) -> String { s.map(String.init).joined(separator: "x") }

    static func number(_ v: Float) -> String { String(format: "%.4g", Double(v)) }

    /// Binary units, as the rest of the CLI uses.
    static func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(n) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
