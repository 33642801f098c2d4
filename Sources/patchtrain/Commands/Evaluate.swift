import ArgumentParser
import Foundation
import PatchTrain

/// `patchtrain evaluate --pred DIR --truth DIR`: scores predicted label maps against the truth, case by case —
/// Dice per class and per BraTS region, and with `--hd95` the 95th-percentile Hausdorff distance.
///
/// Every pairing and header problem is found before any voxel is read and printed as one
/// `patchtrain: error: FILE: PROBLEM` line each (exit 2), so a long run never stops on a missing case at the end.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score predicted label maps against the truth: Dice per class and BraTS region, optionally HD95.",
        discussion: """
            Predictions: a folder of label maps (x,y,z) named like the cases (case_000.npy, case_000.nii.gz; \
            a _pred or _seg suffix is allowed). Truth: a dataset folder (its masks/ or labels/), a manifest, \
            or a folder of one-hot (x,y,z,C) or label-map volumes.
            """
    )

    @Option(help: ArgumentHelp("Folder of predicted label maps.", valueName: "dir"))
    var pred: String

    @Option(help: ArgumentHelp("Dataset folder, manifest .json, or folder of truth volumes.", valueName: "dir"))
    var truth: String

    @OptionGroup var output: OutputOptions

    @Option(help: "Number of classes (default: the one-hot channel count, else the largest label seen + 1).")
    var classes: Int?

    @Flag(help: "Also measure the 95th-percentile Hausdorff distance of each structure (mm for NIfTI, else voxels).")
    var hd95 = false

    func validate() throws {
        if let classes, classes < 1 { throw ValidationError("--classes must be at least 1, got \(classes)") }
    }

    func run() throws {
        let pairing = try EvaluationPairing(predictions: pred, truth: truth)
        let opened = try EvaluatedCase.open(pairing)
        // Counting reads every voxel once; HD95, when asked, reads each structure's box again.
        let progress = ProgressBar(label: "evaluate", total: opened.count * (hd95 ? 2 : 1), unit: "cases", quietPeriod: 1)
        let counts = try opened.map { item in
            defer { progress.advance() }
            return try SegmentationMetrics.count(prediction: item.prediction, truth: item.truth)
        }
        // A dataset that declares its labels (BraTS, dataset.json) is scored in its stored values.
        let declared = classes == nil ? pairing.labelValues : nil
        let classCount = classes ?? declared.flatMap { $0.last.map { $0 + 1 } } ?? SegmentationMetrics.inferredClasses(counts)
        for (item, count) in zip(opened, counts) {
            try count.checkLabels(below: classCount, predictionPath: item.pair.predictionPath, truthPath: item.pair.truthPath)
        }
        let labels = declared ?? Array(0..<classCount)
        let cases = zip(opened, counts).map { item, count in
            defer { if hd95 { progress.advance() } }
            return item.scores(count, labels: labels, hd95: hd95)
        }
        progress.finish()
        try output.print(EvaluateReport(predictions: pred, truth: pairing.truthSource, labels: labels, cases: cases))
    }
}
