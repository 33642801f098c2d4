/// How to set cases aside for validation when no manifest names them.
///
/// The choice is deterministic and depends only on the case ids: sort them (byte order), then take `n` cases
/// evenly spaced through the sorted list, the i-th (from 0) at index ⌊(i + ½)·N / n⌋ of N. Spreading them
/// out, rather than taking the last `n`, keeps a split representative when names carry a site or date prefix.
public enum ValidationSplit: Sendable, Equatable, CustomStringConvertible {
    /// Every case trains.
    case none
    /// Exactly this many cases validate.
    case count(Int)
    /// This share of the cases validates, rounded to the nearest whole case (at least one when above zero).
    case fraction(Double)

    /// Parses `3` (a count) or `0.2` / `20%` (a fraction).
    public init?(parsing text: String) {
        if text.hasSuffix("%") {
            guard let percent = Double(text.dropLast()), percent >= 0, percent < 100 else { return nil }
            self = .fraction(percent / 100)
        } else if let count = Int(text) {
            guard count >= 0 else { return nil }
            self = .count(count)
        } else if let share = Double(text), share >= 0, share < 1 {
            self = .fraction(share)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .none: return "none"
        case .count(let n): return "\(n)"
        case .fraction(let f): return "\(f * 100)%"
        }
    }

    /// How many of `total` cases validate.
    public func validationCount(of total: Int) -> Int {
        switch self {
        case .none: return 0
        case .count(let n): return n
        case .fraction(let f):
            guard f > 0, total > 0 else { return 0 }
            return max(1, Int((f * Double(total)).rounded()))
        }
    }

    /// The validation ids chosen from `ids`; `folder` names the dataset in the error when no training case would remain.
    public func validationIDs(from ids: [String], folder: String) throws -> Set<String> {
        let sorted = ids.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let n = validationCount(of: sorted.count)
        guard n > 0 else { return [] }
        guard n < sorted.count else {
            throw InputError(folder, "a validation split of \(n) leaves no training case (\(sorted.count) cases)")
        }
        let total = sorted.count
        return Set((0..<n).map { sorted[(2 * $0 + 1) * total / (2 * n)] })
    }
}
