import Foundation
import PatchTrain

extension PlanReport {
    var text: String {
        let b = ByteCount.format
        let c = plan.configuration
        var out = ""
        out += "budget      \(b(plan.budgetBytes)) of whole-process peak RSS (\(budgetSource))\n"
        out += "network     U-Net \(c.levelFilters.map(String.init).joined(separator: "-"))-\(c.bottleneckFilters), \(c.inputChannels) input channel(s), \(c.classes) classes, \(c.normalization) norm\n"
        out += "volume      \(plan.volume)\n"
        if let ranks = plan.ranks {
            out += "chosen      \(ranks) ranks × patch \(plan.patch), micro-batch \(plan.microBatch), accumulation \(plan.accumulationSteps) (effective batch \(ranks) × \(plan.microBatch) × \(plan.accumulationSteps) = \(plan.globalBatch)); each rank's memory below\n"
        } else {
            out += "chosen      \(plan.stages == nil ? "" : "final ")patch \(plan.patch), micro-batch \(plan.microBatch), accumulation \(plan.accumulationSteps) (effective batch \(plan.effectiveBatch))\n"
        }
        if let recomputationCost {
            out += "recompute   each block's first convolution again in the backward pass (+\(recomputationCost) compute per step)\n"
        }
        out += curriculumText
        out += timeText
        out += "predicted   peak RSS \(b(plan.predictedPeakBytes)), headroom \(b(plan.headroomBytes))\n\n"
        let rows: [(String, Int)] = [
            ("fixed (runtime, libraries; measured)", plan.fixed.total),
            ("persistent (weights, gradients, Adam, BN stats)", plan.persistent.total),
            (plan.data.packReading == nil ? "data (prefetch pool, scratch, indexes, mapped pages)" : "data (prefetch pool, scratch, indexes, mapped pages, pack chunk caches)", plan.data.total),
            ("arena (activations, gradients, workspaces)", plan.arena.bytes),
            ("validation (window reader, mapped pages; the rest borrows the arena)", plan.validationBytes ?? 0),
        ] + (plan.communicationBytes.map { [("communication (MPI allreduce buffers of one gradient bucket)", $0)] } ?? [])
        let width = 32
        for (name, bytes) in rows {
            let filled = plan.predictedPeakBytes > 0 ? Int((Double(bytes) / Double(plan.predictedPeakBytes) * Double(width)).rounded()) : 0
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            out += "  \(bar)  \(pad(b(bytes), 11)) \(name)\n"
        }
        out += "\npeak during \(plan.arena.peakOperation):"
        for (kind, bytes) in plan.arena.peakByKind.sorted(by: { $0.value > $1.value }) {
            out += " \(kind) \(b(bytes));"
        }
        out += "\n\nlevel  extent        saved fp16 activations  live at the peak\n"
        for level in 0...c.depth {
            let e = Extent3(plan.patch.x >> level, plan.patch.y >> level, plan.patch.z >> level)
            out += "\(pad(level == c.depth ? "bott" : "\(level)", 5))  \(pad(e.description, 12))  \(pad(b(plan.arena.activationBytesByLevel[level]), 22))  \(b(plan.arena.peakBytesByLevel[level]))\n"
        }
        out += "\n"
        if let larger {
            let verdict = larger.predictedPeakBytes <= plan.budgetBytes ? "fits" : "over by \(b(larger.predictedPeakBytes - plan.budgetBytes))"
            out += "next larger patch   \(larger.patch) needs \(b(larger.predictedPeakBytes)) (\(verdict))\n"
        } else if plan.patch == plan.volume {
            out += "next larger patch   none: the patch is the whole volume\n"
        }
        if let smaller {
            out += "next smaller patch  \(smaller.patch) needs \(b(smaller.predictedPeakBytes)) (headroom \(b(smaller.headroomBytes)))\n"
        }
        if let lever, let leverCost {
            out += "with --recompute  patch \(lever.patch), micro-batch \(lever.microBatch) fits (\(b(lever.predictedPeakBytes))) at +\(leverCost) compute per step\n"
        }
        out += String(format: "\nstep time   ~%.1f s per optimizer step (%.0f GFLOP at %.0f GFLOP/s: %.0f%% of the rate measured on a 3x3x3 convolution)\n",
                      stepSeconds, plan.flopsPerStep / 1e9, trainingFLOPS / 1e9,
                      ThroughputProbe.trainingShare * 100)
        return out
    }

    /// Under `--time`: the longest step the time allows, and what memory alone would have chosen.
    private var timeText: String {
        guard let time else { return "" }
        let limit = String(format: "steps of at most ~%.1f s leave %.0f updates in %.0f%% of %@", time.longestStepSeconds,
                            TimeAllowance.minimumUpdates, TimeAllowance.trainingShare * 100, TimeBudget.format(time.seconds))
        if let memoryPatch { return "time        \(limit): the patch is set by time (memory alone allows \(memoryPatch))\n" }
        return "time        \(limit): the patch is set by memory\n"
    }

    /// The curriculum's stages, one row each, and which one sets the peak (nothing for a single-patch plan).
    private var curriculumText: String {
        guard plan.stages != nil else { return "" }
        let rows = stageRows
        var out = "curriculum  \(rows.count) stages, the patch growing; arena and data planned for the stage marked *\n"
        out += "  stage  patch        micro-batch × accumulation  share  predicted peak  step time\n"
        for (index, row) in rows.enumerated() {
            out += "  \(pad("\(index + 1)\(row.setsPeak ? "*" : "")", 5))  \(pad(row.patch.description, 11))  "
            out += "\(pad("\(row.microBatch) × \(row.accumulationSteps)", 26))  \(pad(String(format: "%.0f%%", row.share * 100), 5))  "
            out += "\(pad(ByteCount.format(row.predictedPeakBytes), 14))  \(String(format: "~%.1f s", row.predictedStepSeconds))\n"
        }
        return out
    }

    private func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
}
