import Foundation
import Testing
@testable import PatchTrain

/// Confusion counts, Dice and BraTS regions on hand-made volumes whose answers are worked out in the comments.
@Suite struct SegmentationMetricsTests {
    let cube = Extent3(2, 2, 2)

    func counts(_ truth: [UInt8], _ predicted: [UInt8], shape: Extent3? = nil, slabVoxels: Int = SegmentationMetrics.defaultSlabVoxels) throws -> LabelCounts {
        let files = LabelVolumes()
        let shape = shape ?? cube
        let t = try VolumeOpener.open(try files.labelMap("truth.npy", truth, shape: shape))
        let p = try VolumeOpener.open(try files.labelMap("pred.npy", predicted, shape: shape))
        return try SegmentationMetrics.count(prediction: p, truth: t, slabVoxels: slabVoxels)
    }

    @Test func diceOfEachClassMatchesHandCount() throws {
        // voxel:      0  1  2  3  4  5  6  7
        let truth:  [UInt8] = [0, 1, 1, 2, 2, 0, 1, 0]
        let pred:   [UInt8] = [0, 1, 2, 2, 1, 0, 1, 0]
        let scores = CaseScores(try counts(truth, pred).confusion, classes: 4)
        // class 0: voxels 0, 5, 7 in both.
        #expect(scores.classes[0] == OverlapCounts(truePositives: 3, falsePositives: 0, falseNegatives: 0))
        #expect(scores.classes[0].dice == 1)
        // class 1: truth {1, 2, 6}, prediction {1, 4, 6}: TP 2, FP 1 (4), FN 1 (2): 4/6.
        #expect(scores.classes[1] == OverlapCounts(truePositives: 2, falsePositives: 1, falseNegatives: 1))
        #expect(abs(scores.classes[1].dice - 4.0 / 6.0) < 1e-12)
        // class 2: truth {3, 4}, prediction {2, 3}: TP 1, FP 1, FN 1: 2/4.
        #expect(scores.classes[2].dice == 0.5)
        // class 3: in neither volume: 0/0, scored 1 by the BraTS convention.
        #expect(scores.classes[3].isEmptyInBoth)
        #expect(scores.classes[3].dice == 1)
    }

    @Test func classInOneVolumeOnlyScoresZero() throws {
        let truth: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 1]
        let pred: [UInt8] = [0, 0, 0, 0, 0, 0, 2, 0]
        let scores = CaseScores(try counts(truth, pred).confusion, classes: 3)
        #expect(scores.classes[1] == OverlapCounts(truePositives: 0, falsePositives: 0, falseNegatives: 1))
        #expect(scores.classes[1].dice == 0)  // missed
        #expect(scores.classes[2] == OverlapCounts(truePositives: 0, falsePositives: 1, falseNegatives: 0))
        #expect(scores.classes[2].dice == 0)  // invented
        #expect(scores.regions.isEmpty)  // regions are BraTS's, for four classes only
    }

    @Test func bratsRegionsAreUnionsOfClasses() throws {
        // Labels: 1 necrotic core, 2 edema, 3 enhancing (SyntheticClass), so WT = {1,2,3}, TC = {1,3}, ET = {3}.
        #expect(LabelRegion.brats.map(\.name) == ["WT", "TC", "ET"])
        #expect(LabelRegion.brats.map(\.labels) == [[1, 2, 3], [1, 3], [3]])
        #expect(LabelRegion.brats[1].labels == [SyntheticClass.core, .enhancing].map { Int($0.rawValue) })
        #expect(LabelRegion.brats[2].labels == [Int(SyntheticClass.enhancing.rawValue)])

        // voxel:      0  1  2  3  4  5  6  7
        let truth:  [UInt8] = [3, 3, 1, 2, 2, 0, 1, 3]
        let pred:   [UInt8] = [3, 1, 1, 2, 3, 0, 2, 0]
        let scores = CaseScores(try counts(truth, pred).confusion, classes: 4)
        let regions = Dictionary(uniqueKeysWithValues: scores.regions.map { ($0.region.name, $0.overlap) })
        // WT: truth {0,1,2,3,4,6,7}, prediction {0,1,2,3,4,6}: TP 6, FN 1 (voxel 7).
        #expect(regions["WT"] == OverlapCounts(truePositives: 6, falsePositives: 0, falseNegatives: 1))
        #expect(abs(regions["WT"]!.dice - 12.0 / 13.0) < 1e-12)
        // TC: truth {0,1,2,6,7}, prediction {0,1,2,4}: TP 3, FP 1 (4), FN 2 (6, 7).
        #expect(regions["TC"] == OverlapCounts(truePositives: 3, falsePositives: 1, falseNegatives: 2))
        // ET: truth {0,1,7}, prediction {0,4}: TP 1, FP 1, FN 2: 2/5.
        #expect(regions["ET"] == OverlapCounts(truePositives: 1, falsePositives: 1, falseNegatives: 2))
        #expect(abs(regions["ET"]!.dice - 0.4) < 1e-12)
        // ET is class 3 alone.
        #expect(regions["ET"] == scores.classes[3])
        // class 0: truth {5}, prediction {5, 7}: 2/3.
        #expect(abs(scores.classes[0].dice - 2.0 / 3.0) < 1e-12)
    }

    @Test func emptyRegionScoresOne() throws {
        let nothing = [UInt8](repeating: 0, count: 8)
        let scores = CaseScores(try counts(nothing, nothing).confusion, classes: 4)
        #expect(scores.regions.allSatisfy { $0.overlap.isEmptyInBoth && $0.overlap.dice == 1 })
        #expect(scores.classes[0].dice == 1)
    }

    @Test func oneHotLabelMapAndNIfTITruthGiveTheSameCounts() throws {
        let shape = Extent3(5, 4, 3)
        let truth = LabelVolumes.random(shape, classes: 4, seed: 1)
        let pred = LabelVolumes.random(shape, classes: 4, seed: 2)
        let files = LabelVolumes()
        let p = try VolumeOpener.open(try files.labelMap("pred.npy", pred, shape: shape))
        let truths = [
            try files.labelMap("labels/a.npy", truth, shape: shape),
            try files.oneHot("masks/a.npy", truth, shape: shape, classes: 4),
            try files.nifti("nifti/a.nii.gz", truth, shape: shape),
        ]
        let results = try truths.map { try SegmentationMetrics.count(prediction: p, truth: try VolumeOpener.open($0)).confusion }
        #expect(results[1] == results[0])
        #expect(results[2] == results[0])
        // And the counts are the voxels' own: compare with a direct tally.
        for t in 0..<4 {
            for q in 0..<4 {
                let expected = zip(truth, pred).filter { $0 == UInt8(t) && $1 == UInt8(q) }.count
                #expect(results[0][truth: t, predicted: q] == expected)
            }
        }
        #expect(results[0].voxels == shape.volume)
    }

    /// Slabs of one row, part of a plane, one plane, several planes, the whole volume; across x for `.npy`
    /// (C order) and across z for NIfTI (x fastest), and both orders at once.
    @Test(arguments: [1, 3, 4, 7, 12, 20, 21, 40, 59, 60, 1000])
    func slabSizeDoesNotChangeTheCounts(slabVoxels: Int) throws {
        let shape = Extent3(3, 4, 5)
        let truth = LabelVolumes.random(shape, classes: 3, seed: 7, blobs: true)
        let pred = LabelVolumes.random(shape, classes: 3, seed: 8, blobs: true)
        let whole = try counts(truth, pred, shape: shape)
        let files = LabelVolumes()
        let npyTruth = try VolumeOpener.open(try files.labelMap("t.npy", truth, shape: shape))
        let npyPred = try VolumeOpener.open(try files.labelMap("p.npy", pred, shape: shape))
        let niftiTruth = try VolumeOpener.open(try files.nifti("t.nii", truth, shape: shape))
        let niftiPred = try VolumeOpener.open(try files.nifti("p.nii", pred, shape: shape))
        #expect(!npyTruth.isXFastestOnDisk && niftiTruth.isXFastestOnDisk)
        for (p, t) in [(npyPred, npyTruth), (niftiPred, niftiTruth), (npyPred, niftiTruth), (niftiPred, npyTruth)] {
            let sliced = try SegmentationMetrics.count(prediction: p, truth: t, slabVoxels: slabVoxels)
            #expect(sliced.confusion == whole.confusion)
            #expect(sliced.truthBounds == whole.truthBounds)
            #expect(sliced.predictionBounds == whole.predictionBounds)
        }
    }

    @Test func boundsAreTheBoxAroundALabel() throws {
        let shape = Extent3(4, 4, 4)
        var truth = [UInt8](repeating: 0, count: 64)
        truth[(1 * 4 + 2) * 4 + 3] = 2  // (1, 2, 3)
        truth[(3 * 4 + 0) * 4 + 1] = 2  // (3, 0, 1)
        var pred = [UInt8](repeating: 0, count: 64)
        pred[(0 * 4 + 0) * 4 + 0] = 1  // (0, 0, 0)
        let c = try counts(truth, pred, shape: shape)
        #expect(LabelBounds.box(of: [2], in: [c.truthBounds]) == Box3(origin: Extent3(1, 0, 1), size: Extent3(3, 3, 3)))
        #expect(LabelBounds.box(of: [2], in: [c.predictionBounds]) == nil)
        #expect(LabelBounds.box(of: [1, 2], in: [c.truthBounds, c.predictionBounds]) == Box3(origin: .zero, size: Extent3(4, 3, 4)))
    }

    @Test func shapeMismatchNamesThePrediction() throws {
        let files = LabelVolumes()
        let t = try VolumeOpener.open(try files.labelMap("t.npy", [UInt8](repeating: 0, count: 8), shape: cube))
        let predPath = try files.labelMap("p.npy", [UInt8](repeating: 0, count: 12), shape: Extent3(2, 2, 3))
        let error = #expect(throws: InputError.self) {
            try SegmentationMetrics.count(prediction: try VolumeOpener.open(predPath), truth: t)
        }
        #expect(error?.file == predPath)
        #expect(error?.problem.contains("2x2x3") == true && error?.problem.contains("2x2x2") == true)
    }

    /// A float prediction of 0.6 is not class 1, NaN is not class 255, and a negative label is not background:
    /// each is refused naming the file and the voxel, while integral floats are read as the labels they are.
    @Test func labelMapsHoldingWhatIsNotALabelAreRefused() throws {
        let files = LabelVolumes()
        let t = try VolumeOpener.open(try files.labelMap("t.npy", [0, 0, 1, 1, 0, 0, 0, 0], shape: cube))
        for (index, bad) in [Float(0.6), .nan, -1, 256].enumerated() {
            var values: [Float] = [0, 0, 1, 1, 0, 0, 0, 0]
            values[5] = bad
            let path = files.folder.file("p\(index).npy")
            try NPYWriter.write(values, elementType: .float32, shape: [2, 2, 2], to: path)
            let error = #expect(throws: InputError.self) {
                try SegmentationMetrics.count(prediction: try VolumeOpener.open(path), truth: t)
            }
            #expect(error?.file == path)
            #expect(error?.problem.contains("at voxel (1, 0, 1) is not a label") == true)
        }
        let integral = files.folder.file("integral.npy")
        try NPYWriter.write([Float](arrayLiteral: 0, 0, 1, 1, 0, 0, 2, 0), elementType: .float32, shape: [2, 2, 2], to: integral)
        let c = try SegmentationMetrics.count(prediction: try VolumeOpener.open(integral), truth: t)
        #expect(c.confusion.largestPredictedLabel == 2)
    }

    @Test func labelsOutsideTheClassesAreReportedAgainstTheirFile() throws {
        let c = try counts([0, 0, 1, 1, 0, 0, 0, 0], [0, 0, 1, 4, 4, 0, 0, 0])
        #expect(throws: Never.self) { try c.checkLabels(below: 5, predictionPath: "p", truthPath: "t") }
        let error = #expect(throws: InputError.self) { try c.checkLabels(below: 4, predictionPath: "p", truthPath: "t") }
        #expect(error?.file == "p")
        #expect(error?.problem.hasPrefix("label 4 (2 voxels") == true)
        let truthError = #expect(throws: InputError.self) { try c.checkLabels(below: 1, predictionPath: "p", truthPath: "t") }
        #expect(truthError?.file == "t")
    }

    @Test func classesAreInferredFromLabelsAndOneHotChannels() throws {
        let files = LabelVolumes()
        let labels: [UInt8] = [0, 1, 0, 1, 0, 0, 0, 1]
        let p = try VolumeOpener.open(try files.labelMap("p.npy", labels, shape: cube))
        let asLabels = try SegmentationMetrics.count(prediction: p, truth: try VolumeOpener.open(try files.labelMap("t.npy", labels, shape: cube)))
        let asOneHot = try SegmentationMetrics.count(prediction: p, truth: try VolumeOpener.open(try files.oneHot("o.npy", labels, shape: cube, classes: 4)))
        #expect(SegmentationMetrics.inferredClasses([asLabels]) == 2)
        #expect(SegmentationMetrics.inferredClasses([asOneHot]) == 4)
        #expect(SegmentationMetrics.inferredClasses([asLabels, asOneHot]) == 4)
    }
}
