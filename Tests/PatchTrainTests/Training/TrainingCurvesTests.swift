import Foundation
@testable import PatchTrain
import Testing

/// The curves the pictures draw, from step records: loss, its smoothing, time and validations, and the bounded
/// memory of a long run.
struct TrainingCurvesTests {
    static func record(_ step: Int, loss: Double, seconds: Double = 1, dice: [Double]? = nil, validationSeconds: Double? = nil) -> StepRecord {
        var r = StepRecord(step: step, epoch: 1, loss: loss, learningRate: Float(step) * 1e-3, seconds: seconds, voxelsPerSecond: 1,
                           residentBytes: 10, peakResidentBytes: 100 + step)
        r.validationDice = dice
        r.validationForegroundDice = dice.map { $0.dropFirst().reduce(0, +) / Double($0.count - 1) }
        r.validationSeconds = validationSeconds
        return r
    }

    @Test func pointsFollowTheRecords() {
        var curves = TrainingCurves()
        let losses = [4.0, 2, 3, 1]
        for (i, loss) in losses.enumerated() {
            curves.add(Self.record(i + 1, loss: loss, dice: i == 1 ? [0.9, 0.5, 0.3] : nil, validationSeconds: i == 1 ? 5 : nil))
        }
        let c = curves.finished
        #expect(c.steps == [1, 2, 3, 4] && c.loss == losses)
        #expect(c.wallSeconds == [1, 7, 8, 9], "step seconds plus the validation's")
        #expect(c.learningRate.map { Float($0) } == [1e-3, 2e-3, 3e-3, 4e-3])
        // Bias-corrected exponential moving average, weight 0.8 on the past.
        var average = 0.0
        for (i, loss) in losses.enumerated() {
            average = 0.8 * average + 0.2 * loss
            #expect(abs(c.smoothedLoss[i] - average / (1 - pow(0.8, Double(i + 1)))) < 1e-12)
        }
        #expect(c.smoothedLoss[0] == 4)
        #expect(c.validations == [TrainingCurves.Validation(step: 2, wallSeconds: 7, dice: [0.9, 0.5, 0.3], foregroundDice: 0.4)])
        #expect(c.peakResidentBytes == 104 && c.recordCount == 4 && c.lastStep == 4)
    }

    @Test func aLongRunIsAveragedInEqualBins() {
        var curves = TrainingCurves(maxPoints: 4)
        for step in 1...21 { curves.add(Self.record(step, loss: Double(step))) }
        let c = curves.finished
        // 21 records: bins of 4 steps after two halvings (8 points -> 4 of 2 -> ...), and a last partial bin.
        #expect(c.steps.count <= 8)
        #expect(c.steps == [2.5, 6.5, 10.5, 14.5, 18.5, 21], "\(c.steps)")
        #expect(c.loss == c.steps, "loss = step here, so each bin's mean loss is its mean step")
        #expect(c.wallSeconds == [4, 8, 12, 16, 20, 21])
    }

    @Test func readingAMetricsFileGivesTheSameCurves() throws {
        let folder = TemporaryFolder()
        let metrics = try RunMetrics(jsonPath: folder.file("metrics.jsonl"), csvPath: folder.file("metrics.csv"))
        var direct = TrainingCurves()
        for step in 1...30 {
            let r = Self.record(step, loss: 1 / Double(step), dice: step % 10 == 0 ? [1, 0.5] : nil, validationSeconds: step % 10 == 0 ? 2 : nil)
            try metrics.append(r)
            direct.add(r)
        }
        let read = try TrainingCurves.read(metrics: folder.file("metrics.jsonl")).finished
        #expect(read.loss == direct.finished.loss && read.validations == direct.finished.validations)
        #expect(read.validations.count == 3)
        #expect(try TrainingCurves.read(metrics: folder.file("none.jsonl")).recordCount == 0, "a run without metrics yet")
    }
}
