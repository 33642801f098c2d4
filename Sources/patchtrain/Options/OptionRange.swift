import ArgumentParser
import PatchTrain

/// The ranges of numeric options, the planner's own (`PlanLimits`): a value outside is a usage error naming the
/// option and the range, before any arithmetic is done with it.
enum OptionRange {
    static func check(_ option: String, _ value: Int, in range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(option) \(value) is outside \(range.lowerBound)…\(range.upperBound)")
        }
    }

    /// A patch or window: every edge in `PlanLimits.patchEdge` (the multiple of 2^depth is checked where the
    /// network is known).
    static func check(_ option: String, _ extent: Extent3) throws {
        for axis in 0..<3 where !PlanLimits.patchEdge.contains(extent[axis]) {
            throw ValidationError("\(option) \(extent): every edge must be \(PlanLimits.patchEdge.lowerBound)…\(PlanLimits.patchEdge.upperBound)")
        }
    }
}
