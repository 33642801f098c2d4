import Foundation
import PatchTrain

/// What `evaluate` measured, as a value: rendered as aligned tables for people or as JSON for programs.
/// The JSON field names are documented in docs/cli.md.
struct EvaluateReport: CommandSummary {
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
    /// The label value of each class scored: `0..<classes`, or the dataset's declared values (BraTS's 0, 1, 2, 4).
    var labels: [Int]
    var regions: [Region]
    var cases: [Case]
    var mean: Mean

    init(predictions: String, truth: String, labels: [Int], cases: [Case]) {
        self.predictions = predictions
        self.truth = truth
        self.classes = labels.count
        self.labels = labels
        regions = LabelRegion.regions(forLabels: labels).map { Region(name: $0.name, title: $0.title, labels: $0.labels) }
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
}
