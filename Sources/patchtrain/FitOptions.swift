import Foundation
import PatchTrain

/// What `fit` decides before training: the plan (read from `--plan` or made for `--ram`) and the names its
/// options use.
enum FitOptions {
    /// `--loss` names.
    static func loss(_ name: String) -> SegmentationLoss? {
        switch name {
        case "dice": return .dice
        case "ce": return .crossEntropy
        case "dice+ce": return .diceCrossEntropy
        default: return nil
        }
    }

    static func choosePlan(plan: String?, ram: String?, patch: Extent3?, geometry: DatasetGeometry, batch: Int,
                           normalization: NormalizationKind, recompute: Bool) throws -> MemoryPlan {
        if let plan {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: plan)) } catch { throw InputError(plan, "cannot read") }
            guard let decoded = try? JSONDecoder().decode(MemoryPlan.self, from: data) else {
                throw InputError(plan, "not a plan written by `patchtrain plan --out`")
            }
            guard decoded.configuration.inputChannels == geometry.channels else {
                throw InputError(plan, "planned for \(decoded.configuration.inputChannels) image channel(s), the data has \(geometry.channels)")
            }
            if let classes = geometry.classes, classes != decoded.configuration.classes {
                throw InputError(plan, "planned for \(decoded.configuration.classes) classes, the data has \(classes)")
            }
            return decoded
        }
        let budget = try TrainingBudget(ram: ram)
        let configuration = UNetConfiguration(inputChannels: geometry.channels, classes: geometry.classes ?? 4,
                                              normalization: normalization)
        let planner = try MemoryPlanner.measured(configuration: configuration, volume: geometry.volume, effectiveBatch: batch)
        if let patch {
            let m = configuration.patchMultiple
            guard (0..<3).allSatisfy({ patch[$0] > 0 && patch[$0] % m == 0 }) else {
                throw InputError("--patch \(patch)", "every edge must be a positive multiple of \(m)")
            }
        }
        switch planner.choose(budget: budget.bytes, patch: patch, recomputation: recompute) {
        case .fits(let plan):
            return plan
        case .tooSmall(let smallest):
            throw budget.tooSmall(smallest, planner: planner, patch: patch, recompute: recompute)
        }
    }
}
