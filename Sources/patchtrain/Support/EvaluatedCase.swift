import ArgumentParser
import PatchTrain

/// One prediction and its truth, opened and checked against each other, for `evaluate` to score.
struct EvaluatedCase {
    let pair: EvaluationPair
    let prediction: any VolumeSource
    let truth: any VolumeSource

    /// Opens every pair. Every pairing and header problem is found before any voxel is read and printed as one
    /// `patchtrain: error: FILE: PROBLEM` line each (exit 2), so a long run never stops on a missing case at the end.
    static func open(_ pairing: EvaluationPairing) throws -> [EvaluatedCase] {
        var problems = pairing.problems
        var opened: [EvaluatedCase] = []
        for pair in pairing.pairs {
            do {
                let truth = try pairing.openTruth(pair)
                let predicted = try VolumeOpener.open(pair.predictionPath)
                guard predicted.shape.spatial == truth.shape.spatial else {
                    throw InputError(pair.predictionPath, "shape \(predicted.shape.spatial) does not match the truth's \(truth.shape.spatial) (\(pair.truthPath))")
                }
                opened.append(EvaluatedCase(pair: pair, prediction: predicted, truth: truth))
            } catch let error as InputError {
                problems.append(error)
            }
        }
        guard problems.isEmpty else {
            for problem in problems { Terminal.printError("patchtrain: error: \(problem)") }
            throw ExitCode(2)
        }
        return opened
    }

    /// The case's row of the report from its label counts; with `hd95` also the surface distances.
    func scores(_ counts: LabelCounts, labels: [Int], hd95: Bool) -> EvaluateReport.Case {
        let scores = CaseScores(counts.confusion, classes: labels.count, labels: labels)
        let spacing = VoxelSpacing.of([truth, prediction])
        func distance(_ labels: [Int]) -> Double? {
            guard hd95 else { return nil }
            return SurfaceDistance.hausdorff95(prediction: prediction, truth: truth, labels: labels, counts: counts, spacing: spacing)
        }
        let classScores = zip(scores.labels, scores.classes).map { label, overlap in
            // The background's "surface" is mostly the volume's edge: no one scores it.
            EvaluateReport.score(overlap, label: label, hd95: label == 0 ? nil : distance([label]))
        }
        let regionScores = scores.regions.map { EvaluateReport.score($0.overlap, name: $0.region.name, hd95: distance($0.region.labels)) }
        let e = counts.extent
        return EvaluateReport.Case(id: pair.id, prediction: pair.predictionPath, truth: pair.truthPath,
                                   shape: [e.x, e.y, e.z], classes: classScores, regions: regionScores,
                                   hd95Unit: hd95 ? spacing.unit.rawValue : nil)
    }
}
