/// The memory plan by category beside the measured peak and the budget: the data of the report's memory bar.
struct MemoryBar: Sendable, Equatable {
    struct Category: Sendable, Equatable {
        var name: String
        var bytes: Int
        var color: RGB
    }

    var categories: [Category]
    var predictedBytes: Int
    /// The largest peak RSS any step recorded; nil before the first step.
    var measuredPeakBytes: Int?
    var budgetBytes: Int

    init(plan: MemoryPlan, measuredPeakBytes: Int?) {
        categories = [
            Category(name: "runtime (measured)", bytes: plan.fixed.total, color: RGB(hex: 0x9E9E9E)),
            Category(name: "weights, gradients, Adam", bytes: plan.persistent.total, color: RGB(hex: 0x17BECF)),
            Category(name: "data pipeline", bytes: plan.data.total, color: RGB(hex: 0x33A02C)),
            Category(name: "activation arena", bytes: plan.arena.bytes, color: RGB(hex: 0xFF7F00)),
        ]
        if let validation = plan.validationBytes, validation > 0 {
            categories.append(Category(name: "validation", bytes: validation, color: RGB(hex: 0x6A3D9A)))
        }
        predictedBytes = plan.predictedPeakBytes
        self.measuredPeakBytes = measuredPeakBytes
        budgetBytes = plan.budgetBytes
    }

    /// Bytes the full width of the bar stands for: a little more than the largest of the three figures.
    var scaleBytes: Int { Int(Double(max(budgetBytes, predictedBytes, measuredPeakBytes ?? 0)) * 1.05) }

    /// `bytes` as a percentage of the bar's width.
    func percent(_ bytes: Int) -> Double { Double(bytes) / Double(max(scaleBytes, 1)) * 100 }

    static let measuredColor = RGB(hex: 0x444444)
    static let budgetColor = RGB(hex: 0xD62728)

    /// The bar as HTML: planned categories stacked, the measured peak below, the budget as a line across both.
    var html: String {
        func segment(_ bytes: Int, _ color: RGB, _ title: String) -> String {
            "<span style=\"width:\(HTML.number(percent(bytes)))%;background:\(color.hexString)\" title=\"\(HTML.escape(title))\"></span>"
        }
        let planned = categories.map { segment($0.bytes, $0.color, "\($0.name): \(ByteCount.format($0.bytes))") }.joined()
        let measured = measuredPeakBytes.map { segment($0, Self.measuredColor, "measured peak RSS: \(ByteCount.format($0))") } ?? ""
        let legend = categories.map {
            "<li><i style=\"background:\($0.color.hexString)\"></i>\(HTML.escape($0.name)) \(ByteCount.format($0.bytes))</li>"
        }.joined()
        let peak = measuredPeakBytes.map { ByteCount.format($0) } ?? "no steps yet"
        return """
            <div class="membar">
            <div class="row"><b>plan</b><div class="track">\(planned)</div></div>
            <div class="row"><b>measured</b><div class="track">\(measured)</div></div>
            <div class="budget" style="left:calc(90px + (100% - 90px) * \(HTML.number(percent(budgetBytes) / 100)))"><em>budget \(ByteCount.format(budgetBytes))</em></div>
            </div>
            <ul class="legend">\(legend)<li><i style="background:\(Self.measuredColor.hexString)"></i>measured peak RSS \(peak)</li></ul>
            <p>Predicted peak \(ByteCount.format(predictedBytes)), measured \(peak), budget \(ByteCount.format(budgetBytes)).</p>
            """
    }
}
