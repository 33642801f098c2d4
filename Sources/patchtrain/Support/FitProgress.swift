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
        // Under a time budget the bar counts seconds of it; otherwise steps.
        bar = run.configuration.timeBudgetSeconds.map {
            ProgressBar(label: "fit", total: Int($0.rounded(.up)), unit: "s", initial: Int(run.timeUsedSeconds ?? 0))
        } ?? ProgressBar(label: "fit", total: run.configuration.steps, unit: "steps", initial: run.firstStep)
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
        let stages = run.plan.curriculumStages
        let stage = record.stage.map { "  stage \($0 + 1)/\(stages.count) \(stages[min($0, stages.count - 1)].patch)" } ?? ""
        let memory = String(format: "loss %.4f%@  %.2f Mvox/s  peak %@ of %@", record.loss, dice, record.voxelsPerSecond / 1e6,
                            ByteCount.format(record.peakResidentBytes), ByteCount.format(run.plan.budgetBytes))
        if let budget = run.configuration.timeBudgetSeconds, let used = run.timeUsedSeconds {
            bar.update(completed: min(Int(used), Int(budget)),
                       detail: "step \(record.step)\(stage)  \(TimeBudget.format(budget - used)) left  \(memory)")
        } else {
            let epochs = (run.configuration.steps + run.configuration.stepsPerEpoch - 1) / run.configuration.stepsPerEpoch
            bar.update(completed: record.step, detail: "epoch \(record.epoch)/\(epochs)\(stage)  \(memory)")
        }
    }

    func finish() { bar.finish() }

    var summary: FitSummary {
        FitSummary(
            steps: run.trainer.completedSteps - run.firstStep, totalSteps: run.trainer.completedSteps, seconds: Date().timeIntervalSince(started),
            finalLoss: lastLoss ?? .nan, predictedPeakBytes: run.plan.predictedPeakBytes,
            measuredPeakBytes: ProcessMemory.peakResidentBytes, budgetBytes: run.plan.budgetBytes,
            checkpoint: run.folder.lastPath, weights: "\(run.folder.lastPath)/\(Checkpoint.weightsFile)",
            validation: run.lastValidation, best: run.trainer.best,
            timeBudgetSeconds: run.configuration.timeBudgetSeconds, timeUsedSeconds: run.timeUsedSeconds)
    }
}

extension TrainingRun {
    /// ` of 200` steps, or `, 3m 10s of the 20m budget used`.
    var lengthSoFar: String {
        configuration.timeBudgetSeconds.map { ", \(TimeBudget.format(timeUsedSeconds ?? 0)) of the \(TimeBudget.format($0)) budget used" }
            ?? " of \(configuration.steps)"
    }
}
