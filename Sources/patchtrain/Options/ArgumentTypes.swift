import ArgumentParser
import PatchTrain

// The library's option values as ArgumentParser reads them: a bad value is a usage error (exit 2) naming the
// option and, for the enums, listing the values it takes.

extension Extent3: ExpressibleByArgument {
    /// `128x128x64`, or `128` for a cube.
    public init?(argument: String) { self.init(parsing: argument) }
}

extension VolumeShape: ExpressibleByArgument {
    /// `240x240x160` or `240x240x160x4`.
    public init?(argument: String) { self.init(parsing: argument) }
}

extension TimeBudget: ExpressibleByArgument {
    /// `90s`, `45m`, `2h`, `1h30m`.
    public init?(argument: String) { self.init(parsing: argument) }
}

/// `--curriculum`: grow the patch during the run (the planner's stages), or train on one patch throughout.
enum CurriculumChoice: String, ExpressibleByArgument, CaseIterable {
    case grow, none
}

extension BlendMode: ExpressibleByArgument {}
extension LearningRateSchedule: ExpressibleByArgument {}
extension PredictionWriter.LabelFormat: ExpressibleByArgument {}

extension NormalizationKind: ExpressibleByArgument {
    public static var allValueStrings: [String] { ["batch", "instance"] }
}

extension SegmentationLoss: ExpressibleByArgument {
    public init?(argument: String) { self.init(shortName: argument) }

    public var defaultValueDescription: String { shortName }

    public static var allValueStrings: [String] { allCases.map(\.defaultValueDescription) }

    public static var allValueDescriptions: [String: String] {
        ["dice": "soft Dice over batch and space (the reference Keras loss)", "ce": "cross-entropy, mean over voxels",
         "dice+ce": "their sum"]
    }
}

/// A size as the user wrote it (`8G`, `512M`, `1.5GiB`); the text is kept for messages and reports.
struct SizeArgument: ExpressibleByArgument {
    let text: String
    let bytes: Int

    init?(argument: String) {
        guard let bytes = ByteCount.parse(argument) else { return nil }
        text = argument
        self.bytes = bytes
    }
}

/// A validation split as the user wrote it (`2`, `0.2`, `20%`); the run's config.json keeps the text.
struct SplitArgument: ExpressibleByArgument {
    let text: String
    let split: ValidationSplit

    init?(argument: String) {
        guard let split = ValidationSplit(parsing: argument) else { return nil }
        text = argument
        self.split = split
    }
}
