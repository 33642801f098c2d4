import Foundation
import PatchTrain

/// What `fit` prints at the end of a completed run.
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
    /// Under `--time`: the budget and the time the run has used of it (across resumes), as the run ends.
    let timeBudgetSeconds: Double?
    let timeUsedSeconds: Double?

    var text: String {
        let error = Double(predictedPeakBytes - measuredPeakBytes) / Double(measuredPeakBytes) * 100
        let resumed = totalSteps > steps ? " (steps \(totalSteps - steps + 1)-\(totalSteps) of the run)" : ""
        let trained = steps == 0
            ? String(format: "nothing to train: the run already has its %d steps, loss %.4f\n", totalSteps, finalLoss)
            : String(format: "trained %d steps in %.1f s%@, final loss %.4f\n", steps, seconds, resumed, finalLoss)
        let time = timeBudgetSeconds.map { budget in
            let used = timeUsedSeconds ?? 0
            return String(format: "time: ran %@ of the %@ budget (%.1f%%)\n", TimeBudget.format(used), TimeBudget.format(budget), used / budget * 100)
        } ?? ""
        return trained + time
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
