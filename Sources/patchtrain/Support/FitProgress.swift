import Foundation
import PatchTrain

/// `fit`'s progress on stderr (a bar on a terminal, plain lines when piped), fed by the run's callbacks, and the
/// figures of its closing summary.
final class FitProgress {
    private let run: TrainingRun
    private let bar: ProgressBar
    private let started = Date()
    private var lastLoss: Double?
    private var validationBar: ProgressBar?

    /// Shows `run`'s progress from now on.
    init(run: TrainingRun) {
        self.run = run
        bar = ProgressBar(label: "fit", total: run.configuration.steps, unit: "steps", initial: run.firstStep)
        lastLoss = run.trainer.lastLoss
        run.onStep = { [unowned self] in update($0) }
        run.onValidationStart = { [unowned self] passes in
            validationBar = ProgressBar(label: "validate", total: passes, unit: "windows", quietPeriod: 1)
        }
        run.onValidationProgress = { [unowned self] done in validationBar?.update(completed: done) }
    }

    private func update(_ record: StepRecord) {
        lastLoss = record.loss
        validationBar?.finish()
        validationBar = nil
        let dice = (record.validationForegroundDice ?? run.lastValidation?.meanForegroundDice).map { String(format: "  val Dice %.3f", $0) } ?? ""
        let epochs = (run.configuration.steps + run.configuration.stepsPerEpoch - 1) / run.configuration.stepsPerEpoch
        bar.update(completed: record.step, detail: String(format: "epoch %d/%d  loss %.4f%@  %.2f Mvox/s  peak %@ of %@",
                                                          record.epoch, epochs, record.loss, dice,
                                                          record.voxelsPerSecond / 1e6, ByteCount.format(record.peakResidentBytes),
                                                          ByteCount.format(run.plan.budgetBytes)))
    }

    func finish() { bar.finish() }

    var summary: FitSummary {
        FitSummary(
            steps: run.trainer.completedSteps - run.firstStep, totalSteps: run.trainer.completedSteps, seconds: Date().timeIntervalSince(started),
            finalLoss: lastLoss ?? .nan, predictedPeakBytes: run.plan.predictedPeakBytes,
            measuredPeakBytes: ProcessMemory.peakResidentBytes, budgetBytes: run.plan.budgetBytes,
            checkpoint: run.folder.lastPath, weights: "\(run.folder.lastPath)/\(Checkpoint.weightsFile)",
            validation: run.lastValidation, best: run.trainer.best)
    }
}
