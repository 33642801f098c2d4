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

    @Flag(help: "Print the results as JSON on stdout.")
    var json = false

    @Option(help: "Number of classes (default: the one-hot channel count, else the largest label seen + 1).")
    var classes: Int?

    @Flag(help: "Also measure the 95th-percentile Hausdorff distance of each structure (mm for NIfTI, else voxels).")
    var hd95 = false

    func validate() throws {
        if let classes, classes < 1 { throw ValidationError("--classes must be at least 1, got \(classes)") }
    }

    private struct OpenedCase {
        let pair: EvaluationPair
        let prediction: any VolumeSource
        let truth: any VolumeSource
    }

    func run() throws {
        let pairing = try EvaluationPairing(predictions: pred, truth: truth)
        var problems = pairing.problems
        var opened: [OpenedCase] = []
        for pair in pairing.pairs {
            do {
                let truthVolume = try VolumeOpener.open(pair.truthPath)
                let predicted = try VolumeOpener.open(pair.predictionPath)
                guard predicted.shape.spatial == truthVolume.shape.spatial else {
                    throw InputError(pair.predictionPath, "shape \(predicted.shape.spatial) does not match the truth's \(truthVolume.shape.spatial) (\(pair.truthPath))")
                }
                opened.append(OpenedCase(pair: pair, prediction: predicted, truth: truthVolume))
            } catch let error as InputError {
                problems.append(error)
            }
        }
        if !problems.isEmpty {
            for problem in problems { Terminal.printError("patchtrain: error: \(problem)") }
            throw ExitCode(2)
        }

        // Counting reads every voxel once; HD95, when asked, reads each structure's box again.
        let progress = ProgressBar(label: "evaluate", total: opened.count * (hd95 ? 2 : 1), unit: "cases", quietPeriod: 1)
        let counts = try opened.map { item in
            defer { progress.advance() }
            return try SegmentationMetrics.count(prediction: item.prediction, truth: item.truth)
        }
        let classCount = classes ?? SegmentationMetrics.inferredClasses(counts)
        for (item, count) in zip(opened, counts) {
            try count.checkLabels(below: classCount, predictionPath: item.pair.predictionPath, truthPath: item.pair.truthPath)
        }
        let cases = zip(opened, counts).map { item, count in
            defer { if hd95 { progress.advance() } }
            return scoreCase(item, count, classes: classCount)
        }
        progress.finish()

        let report = EvaluateReport(predictions: pred, truth: pairing.truthSource, classes: classCount, cases: cases)
        if json {
            print(try report.jsonText())
        } else {
            print(report.text(), terminator: "")
        }
    }

    private func scoreCase(_ item: OpenedCase, _ counts: LabelCounts, classes: Int) -> EvaluateReport.Case {
        let scores = CaseScores(counts.confusion, classes: classes)
        let spacing = VoxelSpacing.of([item.truth, item.prediction])
        func distance(_ labels: [Int]) -> Double? {
            guard hd95 else { return nil }
            return SurfaceDistance.hausdorff95(prediction: item.prediction, truth: item.truth, labels: labels,
                                               counts: counts, spacing: spacing)
        }
        let classScores = scores.classes.enumerated().map { label, overlap in
            // The background's "surface" is mostly the volume's edge: no one scores it.
            EvaluateReport.score(overlap, label: label, hd95: label == 0 ? nil : distance([label]))
        }
        let regionScores = scores.regions.map { EvaluateReport.score($0.overlap, name: $0.region.name, hd95: distance($0.region.labels)) }
        let e = counts.extent
        return EvaluateReport.Case(id: item.pair.id, prediction: item.pair.predictionPath, truth: item.pair.truthPath,
                                   shape: [e.x, e.y, e.z], classes: classScores, regions: regionScores,
                                   hd95Unit: hd95 ? spacing.unit.rawValue : nil)
    }
}
