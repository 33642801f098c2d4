import Foundation

/// Round tick values for a chart axis: steps of 1, 2 or 5 times a power of ten, about `count` of them across the
/// range, and labels with just enough decimals to tell neighbouring ticks apart.
public struct AxisTicks: Sendable, Equatable {
    /// The axis range: the data's, or widened to whole steps around it.
    public let lower: Double
    public let upper: Double
    public let step: Double
    /// The multiples of `step` within the range.
    public var values: [Double] {
        let first = Int(ceil(lower / step - 1e-9)), last = Int(floor(upper / step + 1e-9))
        return first <= last ? (first...last).map { Double($0) * step } : []
    }

    /// Ticks across `lower...upper` (a zero-width range is widened around its value); `widened`: the range grows
    /// to whole steps (a y axis), else it stays the data's (an x axis that ends where the run does).
    public init(lower: Double, upper: Double, count: Int = 5, widened: Bool = true) {
        var (lo, hi) = (lower, upper)
        if !(hi > lo) {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            (lo, hi) = (lo - pad, hi + pad)
        }
        let rough = (hi - lo) / Double(max(count, 1))
        let power = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= rough * 0.999 } ?? 10 * power
        self.step = step
        self.lower = widened ? floor(lo / step + 1e-9) * step : lo
        self.upper = widened ? ceil(hi / step - 1e-9) * step : hi
    }

    /// The tick label of `value`: as many decimals as the step has, no more.
    public func label(_ value: Double) -> String {
        let decimals = max(0, -Int(floor(log10(step) + 1e-9)))
        if abs(value) >= 10_000 && decimals == 0 {
            return String(format: "%.0fk", value / 1000)
        }
        let text = String(format: "%.\(decimals)f", value)
        return text == "-0" || text.hasPrefix("-0.") && Double(text) == 0 ? String(text.dropFirst()) : text
    }
}
