import Foundation

extension RunReport {
    /// The page: plain HTML and CSS, pictures inline as PNG, no script.
    public func html() throws -> String {
        let c = configuration, p = plan
        let size = Self.chartSize, wide = Self.learningRateChartSize
        let charts = [
            try chart(curves.lossChart(against: .step), size: size, id: "loss-steps"),
            try chart(curves.diceChart(against: .step), size: size, id: "dice-steps"),
            try chart(curves.lossChart(against: .wallTime), size: size, id: "loss-time"),
            try chart(curves.diceChart(against: .wallTime), size: size, id: "dice-time"),
        ].joined(separator: "\n")
        let rate = try chart(curves.learningRateChart(stages: stages), size: wide, id: "learning-rate")
        let bar = MemoryBar(plan: p, measuredPeakBytes: curves.recordCount > 0 ? curves.peakResidentBytes : nil)
        let validated = c.validationCases ?? []
        let pictures = try cases.map { try CasePicture($0).html() }.joined(separator: "\n")
        let caseNote = validated.isEmpty ? "<p>This run has no validation cases (fit --validation sets some aside).</p>"
            : cases.isEmpty ? "<p>No validation has run yet.</p>"
            : "<p>\(cases.count) of \(validated.count) validation case(s). Slices cross the largest structure of the truth; "
                + "truth above, prediction below (the weights after step \(cases[0].step)), classes coloured as in the Dice chart.</p>"
        let best = curves.validations.max { $0.foregroundDice < $1.foregroundDice }
        let rows: [(String, String)] = [
            ("data", c.data), ("training cases", "\(c.cases.count)"),
            ("validation cases", validated.isEmpty ? "none" : validated.joined(separator: ", ")),
            c.timeBudgetSeconds.map { ("time budget", TimeBudget.format($0)) }
                ?? ("steps", "\(c.steps)" + (c.epochs.map { " (\($0) epochs)" } ?? "") + ", \(c.stepsPerEpoch) per epoch"),
            ("learning rate", "\(c.learningRate), \(c.schedule.rawValue)"), ("loss", c.loss.shortName),
            ("augmentation", c.augmentation == nil ? "none" : "standard"), ("seed", "\(c.seed)"),
            ("patch", "\(p.patch), micro-batch \(p.microBatch) x \(p.accumulationSteps) accumulation steps (effective batch \(p.effectiveBatch))"),
            ("network", "U-Net, \(p.configuration.inputChannels) channel(s) in, \(p.configuration.classes) classes, "
                + "filters \(p.configuration.levelFilters.map(String.init).joined(separator: "-"))-\(p.configuration.bottleneckFilters), "
                + "\(p.configuration.normalization.rawValue) norm\(p.recomputation ? ", recomputation" : "")"),
            ("budget", ByteCount.format(p.budgetBytes)), ("checkpoint every", "\(c.checkpointEvery) steps"),
            ("validate every", c.validationEvery.map { $0 > 0 ? "\($0) steps" : "quarter of the time, and at the end" } ?? "never"),
        ]
        let table = rows.map { "<tr><th>\(HTML.escape($0.0))</th><td>\(HTML.escape($0.1))</td></tr>" }.joined()
        let summary = c.timeBudgetSeconds == nil ? "\(curves.lastStep) of \(c.steps) steps" : "\(curves.lastStep) steps"
            + (curves.smoothedLoss.last.map { String(format: ", smoothed loss %.4f", $0) } ?? "")
            + (best.map { String(format: ", best mean foreground Dice %.4f at step %d", $0.foregroundDice, $0.step) } ?? "")
            + (curves.wallSeconds.last.map { String(format: ", %.1f min of steps and validations", $0 / 60) } ?? "")
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>patchtrain run \(HTML.escape(files.path))</title>
            <style>\(Self.style)</style></head><body>
            <h1>patchtrain run <code>\(HTML.escape(files.path))</code></h1>
            <p class="summary">\(HTML.escape(summary)).</p>
            <h2>Curves</h2>
            <div class="charts">\(charts)</div>
            <div class="wide">\(rate)</div>
            <h2>Memory</h2>
            \(bar.html)
            <h2>Validation cases</h2>
            \(caseNote)
            <div class="cases">\(pictures)</div>
            <h2>Configuration</h2>
            <table>\(table)</table>
            <p>Trains the same run again (its plan file fixes patch, micro-batch and accumulation):</p>
            <pre>\(HTML.escape(ReproducingCommand.line(configuration: c, run: files)))</pre>
            </body></html>

            """
    }

    static let style = """
        body{font:14px/1.4 "DejaVu Sans",sans-serif;color:#222;background:#fff;width:1220px;margin:16px auto}
        h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
        .charts{display:grid;grid-template-columns:600px 600px;gap:10px}.wide{margin-top:10px}img{display:block}
        .membar{position:relative;margin:24px 0 8px}.row{display:flex;align-items:center;margin:4px 0}
        .row b{width:90px;font-weight:normal}.track{display:flex;flex:1;height:24px;background:#f3f3f3}
        .track span{display:block;height:100%}
        .budget{position:absolute;top:-18px;bottom:-4px;width:2px;background:#d62728}
        .budget em{position:absolute;top:-2px;right:6px;white-space:nowrap;font-style:normal;color:#d62728}
        .legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 18px}
        .legend i,.dice i{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px}
        .cases{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}figcaption{max-width:600px}
        table{border-collapse:collapse}th,td{text-align:left;padding:3px 12px 3px 0;vertical-align:top}th{font-weight:normal;color:#666}
        pre{background:#f6f6f6;padding:10px;white-space:pre-wrap;word-break:break-all}
        """
}
