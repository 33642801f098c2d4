import Foundation
import PatchTrain

/// `fit`'s progress on stderr (a bar on a terminal, plain lines when piped) and its summary on stdout.
final class FitProgress {
    private let run: TrainingRun
    private let bar: ProgressBar
    private let started = Date()
    private var lastLoss: Double?
    private var validationBar: ProgressBar?

    init(run: TrainingRun) {
        self.run = run
        bar = ProgressBar(label: "fit", total: run.configuration.steps, unit: "steps", initial: run.firstStep)
        lastLoss = run.trainer.lastLoss
    }

    func update(_ record: StepRecord) {
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

    func validationStarted(passes: Int) {
        validationBar = ProgressBar(label: "validate", total: passes, unit: "windows", quietPeriod: 1)
    }

    func validationProgressed(done: Int) { validationBar?.update(completed: done) }

    func finish() { bar.finish() }

    func printSummary(json: Bool) throws {
        let summary = FitSummary(
            steps: run.trainer.completedSteps - run.firstStep, totalSteps: run.trainer.completedSteps, seconds: Date().timeIntervalSince(started),
            finalLoss: lastLoss ?? .nan, predictedPeakBytes: run.plan.predictedPeakBytes,
            measuredPeakBytes: ProcessMemory.peakResidentBytes, budgetBytes: run.plan.budgetBytes,
            checkpoint: run.folder.lastPath, weights: "\(run.folder.lastPath)/\(Checkpoint.weightsFile)",
            validation: run.lastValidation, best: run.trainer.best)
        try summary.print(json: json)
    }
}

struct FitSummary: CommandSummary {
    /// Steps trained by this process.
    let steps: Int
    /// Steps the run has completed in all (more than `steps` after a resume).
    let totalSteps: Int
    let seconds: Double
    let finalLoss: Double
    let predictedPeakBytes: Int
    let measuredPeakBytes: Int
    let budgetBytes: Int
    let checkpoint: String
    let weights: String
    let validation: Validator.Result?
    let best: BestMetric?

    var text: String {
        let error = Double(predictedPeakBytes - measuredPeakBytes) / Double(measuredPeakBytes) * 100
        let resumed = totalSteps > steps ? " (steps \(totalSteps - steps + 1)-\(totalSteps) of the run)" : ""
        let trained = steps == 0
            ? String(format: "nothing to train: the run already has its %d steps, loss %.4f\n", totalSteps, finalLoss)
            : String(format: "trained %d steps in %.1f s%@, final loss %.4f\n", steps, seconds, resumed, finalLoss)
        return trained
            + "peak RSS measured \(ByteCount.format(measuredPeakBytes)), predicted \(ByteCount.format(predictedPeakBytes)) "
            + String(format: "(%+.1f%% of measured), budget %@\n", error, ByteCount.format(budgetBytes))
            + "weights: \(weights)\n"
            + (validation.map { v in
                "validation Dice per class (mean of \(v.caseIDs.count) case(s)): " + v.meanDice.map { String(format: "%.4f", $0) }.joined(separator: " ")
                    + String(format: "; mean foreground %.4f\n", v.meanForegroundDice)
            } ?? "")
            + (best.map { String(format: "best: %@ %.4f at step %d (checkpoint best/)\n", $0.name, $0.value, $0.step) } ?? "")
    }
}
