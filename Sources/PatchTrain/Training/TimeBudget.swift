import Foundation

/// A wall-clock budget for a whole `fit` command (`--time 45m`): start-up, training, every validation and the
/// final checkpoints. Written `90s`, `45m`, `2h`, `1h30m` (units h, m, s, largest first, whole numbers).
public struct TimeBudget: Sendable, Equatable {
    public let seconds: Double

    /// The longest budget a run may have or record (ten years): larger values in a file are refused.
    public static let longest = 10 * 365 * 86_400.0

    public init?(parsing text: String) {
        var total = 0
        var number = ""
        var units: [Character] = []
        for character in text {
            if character.isASCII, character.isNumber {
                number.append(character)
            } else if let multiplier = ["h": 3600, "m": 60, "s": 1][character], !number.isEmpty, let value = Int(number),
                      !units.contains(character), units.allSatisfy({ TimeBudget.order($0) < TimeBudget.order(character) }),
                      let product = Checked.product(value, multiplier), let sum = Checked.sum(total, product) {
                total = sum
                units.append(character)
                number = ""
            } else {
                return nil
            }
        }
        guard number.isEmpty, !units.isEmpty, total > 0, Double(total) <= TimeBudget.longest else { return nil }
        seconds = Double(total)
    }

    public init(seconds: Double) { self.seconds = seconds }

    private static func order(_ unit: Character) -> Int { unit == "h" ? 0 : unit == "m" ? 1 : 2 }

    /// `1h 05m`, `19m 42s`, `42s`.
    public static func format(_ seconds: Double) -> String {
        let whole = Int(max(0, seconds.isFinite ? seconds : 0).rounded())
        if whole >= 3600 { return String(format: "%dh %02dm", whole / 3600, whole % 3600 / 60) }
        if whole >= 60 { return String(format: "%dm %02ds", whole / 60, whole % 60) }
        return "\(whole)s"
    }
}

/// Seconds since a command started, for pacing a run over its time budget. `WallClock` in use; tests substitute
/// a clock they advance themselves, so that a run laid over time is reproducible.
public protocol RunClock: AnyObject, Sendable {
    var seconds: Double { get }
}

/// The monotonic clock, from the moment it was made (as the command starts).
public final class WallClock: RunClock {
    private let start = ContinuousClock.now

    public init() {}

    public var seconds: Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
