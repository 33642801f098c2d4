import Foundation

extension StepProfile {
    /// The profile as two text tables, per step: every operation in the order it ran, then the sums by kind, each
    /// with its milliseconds, its rate (GFLOP/s for arithmetic, GB/s of tensor traffic otherwise) and its share of
    /// the step.
    public func formatted() -> String {
        guard steps > 0 else { return "no step profiled\n" }
        let perStep = 1000 / Double(steps)
        func row(_ e: Entry, label: String) -> String {
            let milliseconds = e.seconds * perStep
            // A rate over less than a millisecond (the gradient exchange of a single process) says nothing.
            let rate = milliseconds < 1 ? String(repeating: " ", count: 15)
                : e.work.isArithmetic ? String(format: "%7.1f GFLOP/s", e.gflopsPerSecond)
                : e.bytes > 0 ? String(format: "%7.1f GB/s    ", e.gigabytesPerSecond) : String(repeating: " ", count: 15)
            let label = label.count > 44 ? String(label.prefix(43)) + "…" : label.padding(toLength: 44, withPad: " ", startingAt: 0)
            return String(format: "%@ %10.1f  %@ %6.1f%%\n", label, milliseconds, rate, 100 * e.seconds / stepSeconds)
        }
        let header = "part".padding(toLength: 44, withPad: " ", startingAt: 0) + "   ms/step             rate   share\n"
        var text = String(format: "%d step(s) profiled, %.3f s per step\n\n", steps, stepSeconds / Double(steps))
        text += header
        for e in entries { text += row(e, label: "\(e.name) (\(e.work.rawValue))") }
        text += "\nby kind\n" + header
        for e in byWork { text += row(e, label: e.name) }
        let rest = stepSeconds - profiledSeconds
        text += String(format: "%@ %10.1f  %@ %6.1f%%\n", "other (between operations)".padding(toLength: 44, withPad: " ", startingAt: 0),
                       rest * perStep, String(repeating: " ", count: 15), 100 * rest / stepSeconds)
        return text
    }
}
