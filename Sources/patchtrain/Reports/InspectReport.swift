import Foundation
import PatchTrain

/// What `inspect` found, as a value: rendered as an aligned table for people or as JSON for programs.
/// The JSON field names are documented in docs/cli.md.
struct InspectReport: CommandSummary {
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
    struct Spacing: Encodable, Equatable {
        var millimetres: [Double]
        var cases: Int
    }
    struct Problem: Encodable {
        var file: String
        var problem: String
    }

    var dataset: String
    var layout: String
    /// The channel names the layout declares (dataset.json, BraTS's modalities).
    var channelNames: [String]?
    /// The stored label value of each class when the layout declares them (BraTS: 0, 1, 2, 4 as classes 0…3).
    var labels: [Int]?
    /// The distinct voxel spacings (mm, from NIfTI headers) and how many cases have each; more than one means
    /// the cases differ in resolution (patchtrain does not resample).
    var spacings: [Spacing]
    var classes: Int
    var listed: Int
    var cases: [Case]
    var totals: Totals
    var problems: [Problem]
}
