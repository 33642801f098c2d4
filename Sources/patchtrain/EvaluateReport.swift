import Foundation
import PatchTrain

/// What `evaluate` measured, as a value: rendered as aligned tables for people or as JSON for programs.
/// The JSON field names are documented in docs/cli.md.
struct EvaluateReport: Encodable {
    /// One structure's scores in one case (or their means over the cases).
    struct Score: Encodable {
        /// A class's label (absent for a region).
        var label: Int?
        /// A region's name (absent for a class).
        var name: String?
        var dice: Double
        var truePositives: Int?
        var falsePositives: Int?
        var falseNegatives: Int?
        /// With `--hd95`, for every structure but the background.
        var hd95: Double?
    }
    struct Region: Encodable {
        var name: String
        var title: String
        var labels: [Int]
    }
    struct Case: Encodable {
        var id: String
        var prediction: String
        var truth: String
        var shape: [Int]
        var classes: [Score]
        var regions: [Score]
        var hd95Unit: String?
    }
    struct Mean: Encodable {
        var classes: [Score]
        var regions: [Score]
    }

    var predictions: String
    var truth: String
    var classes: Int
    var regions: [Region]
    var cases: [Case]
    var mean: Mean

    init(predictions: String, truth: String, classes: Int, cases: [Case]) {
        self.predictions = predictions
        self.truth = truth
        self.classes = classes
        regions = LabelRegion.regions(forClasses: classes).map { Region(name: $0.name, title: $0.title, labels: $0.labels) }
        self.cases = cases
        func average(_ scores: [[Score]]) -> [Score] {
            guard let first = scores.first else { return [] }
            return first.indices.map { i in
                let column = scores.map { $0[i] }
                let distances = column.compactMap(\.hd95)
                return Score(label: first[i].label, name: first[i].name,
                             dice: column.map(\.dice).reduce(0, +) / Double(column.count),
                             hd95: distances.count == column.count ? distances.reduce(0, +) / Double(distances.count) : nil)
            }
        }
        mean = Mean(classes: average(cases.map(\.classes)), regions: average(cases.map(\.regions)))
    }

    /// A structure's counts as the report holds them.
    static func score(_ overlap: OverlapCounts, label: Int? = nil, name: String? = nil, hd95: Double? = nil) -> Score {
        Score(label: label, name: name, dice: overlap.dice, truePositives: overlap.truePositives,
              falsePositives: overlap.falsePositives, falseNegatives: overlap.falseNegatives, hd95: hd95)
    }

    func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A header line, the Dice table (one row per case and a mean row), and the HD95 table when measured.
    func text() -> String {
        var out = "evaluate \(predictions) against \(truth): \(cases.count) case\(cases.count == 1 ? "" : "s"), \(classes) class\(classes == 1 ? "" : "es")"
        if !regions.isEmpty { out += "; regions " + regions.map { "\($0.name) = {\($0.labels.map(String.init).joined(separator: ","))}" }.joined(separator: ", ") }
        out += "\n\nDice (a structure absent from both volumes scores 1)\n"
        let diceHeader = ["case"] + (0..<classes).map { "class \($0)" } + regions.map(\.name)
        var rows = [diceHeader]
        for c in cases { rows.append([c.id] + (c.classes + c.regions).map { String(format: "%.4f", $0.dice) }) }
        rows.append(["mean"] + (mean.classes + mean.regions).map { String(format: "%.4f", $0.dice) })
        out += Self.table(rows)

        let units = Set(cases.compactMap(\.hd95Unit))
        if !units.isEmpty {
            out += "\nHD95 in \(units.sorted().map { $0 == "voxel" ? "voxels" : $0 }.joined(separator: " / ")) (absent from both: 0; from one only: the volume's diagonal)\n"
            var rows = [["case"] + (1..<max(classes, 1)).map { "class \($0)" } + regions.map(\.name)]
            func cells(_ scores: [Score]) -> [String] {
                scores.filter { $0.label != 0 }.map { $0.hd95.map { String(format: "%.2f", $0) } ?? "-" }
            }
            for c in cases { rows.append([c.id] + cells(c.classes + c.regions)) }
            rows.append(["mean"] + cells(mean.classes + mean.regions))
            out += Self.table(rows)
        }
        return out
    }

    private static func table(_ rows: [[String]]) -> String {
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }
}
