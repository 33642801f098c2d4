import Foundation
import PatchTrain

/// What `infer` prints at the end: every case, the settings, the planned memory by part and the measured peak.
struct InferSummary: CommandSummary {
    let plan: InferencePlan
    let window: String
    let overlap: Double
    let blend: String
    let tta: Bool
    let windowsPerBatch: Int
    let cases: [InferredCase]
    let predictedPeakBytes: Int
    let measuredPeakBytes: Int
    let budgetBytes: Int

    init(run: InferenceRun, cases: [InferredCase], measuredPeakBytes: Int) {
        plan = run.plan
        window = run.plan.window.description
        overlap = run.plan.overlap
        blend = run.plan.blend.rawValue
        tta = run.plan.mirroring
        windowsPerBatch = run.plan.windowsPerBatch
        self.cases = cases
        predictedPeakBytes = run.plan.predictedPeakBytes
        self.measuredPeakBytes = measuredPeakBytes
        budgetBytes = run.budget.bytes
    }

    var text: String {
        var lines = cases.map { String(format: "%@  %@  %d passes  %.1f s  → %@", $0.input, $0.shape, $0.passes, $0.seconds, $0.labels) }
        lines.append("window \(window), overlap \(overlap), \(blend) blend\(tta ? ", 8 mirrorings" : ""), \(windowsPerBatch) window(s) per pass")
        let m = plan.memory, b = ByteCount.format
        lines.append("planned: runtime \(b(plan.fixed.total)) + weights \(b(m.weightBytes)) + max(loading \(b(m.loadingBytes)), "
                     + "arena \(b(m.arenaBytes)) + stitching \(b(m.stitchBytes)) + input \(b(m.inputBytes)) + reader \(b(m.readerBytes)) + output \(b(m.outputBytes)))")
        let error = Double(predictedPeakBytes - measuredPeakBytes) / Double(max(measuredPeakBytes, 1)) * 100
        lines.append("peak RSS measured \(ByteCount.format(measuredPeakBytes)), predicted \(ByteCount.format(predictedPeakBytes)) "
                     + String(format: "(%+.1f%% of measured), budget %@", error, ByteCount.format(budgetBytes)))
        return lines.joined(separator: "\n") + "\n"
    }
}
