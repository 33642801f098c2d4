import Foundation

/// How the learning rate moves over a run of `T` optimizer steps, as a function of the steps already taken `t`
/// (so the first update uses the base rate under every schedule):
///
/// - `constant`: `lr` (the Keras user's setting);
/// - `poly`: `lr · (1 − t/T)^0.9`, nnU-Net's schedule;
/// - `cosine`: `lr · ½ · (1 + cos(π · t/T))`.
///
/// Computed in Double from `t` and `T` alone, so a resumed run gets the very same rates. A run laid over a time
/// budget (`fit --time`) uses the share of the budget used instead of `t/T` (`rate(base:progress:)`).
public enum LearningRateSchedule: String, Codable, Sendable, CaseIterable {
    case constant, poly, cosine

    public static let polyExponent = 0.9

    public func rate(base: Float, step t: Int, totalSteps T: Int) -> Float {
        rate(base: base, progress: T > 0 ? Double(t) / Double(T) : 0)
    }

    /// The rate at `progress` (0...1, clamped) of the run.
    public func rate(base: Float, progress: Double) -> Float {
        let progress = progress.isFinite ? min(max(progress, 0), 1) : 0
        switch self {
        case .constant:
            return base
        case .poly:
            return Float(Double(base) * pow(1 - progress, LearningRateSchedule.polyExponent))
        case .cosine:
            return Float(Double(base) * 0.5 * (1 + cos(Double.pi * progress)))
        }
    }
}
