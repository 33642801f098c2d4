import Foundation

/// The rule that lays a patch-size curriculum out (after Fischer et al., "Progressive Growing of Patch Size",
/// MICCAI 2024): which patches, how many patches per optimizer step, and how long each stage lasts. Pure
/// arithmetic on extents; `MemoryPlanner.curriculum(ending:)` fits the stages into the budget.
///
/// - Patches: the first stage is the patch nearest `startVoxels` (64³) among the final patch's own shrinking
///   candidates (`PatchCandidates`, so every stage keeps the final patch's aspect and fits inside it); the stages
///   between are spaced evenly in log-voxels, at most `growth` (8×, each edge doubled) apart. A final patch within
///   2× of the start gets no curriculum.
/// - Shares: each stage lasts half as long as the one before (shares ∝ 2^−i, normalised): on a CPU the number of
///   updates decides early learning, and the large patches are there for context at the end.
/// - Batch: a stage's step holds `effectiveBatch × ⌊(final voxels / stage voxels)^batchExponent⌋` patches, at
///   least the effective batch (see docs/memory-model.md for the measurement that chose the exponent).
public enum CurriculumRule {
    public static let startVoxels = 64 * 64 * 64
    public static let growth = 8.0
    public static let batchExponent = 0.0

    /// The stages' patches, smallest first, ending at `final`.
    public static func patches(final: Extent3, multiple: Int) -> [Extent3] {
        let candidates = PatchCandidates.descending(volume: final, multiple: multiple)
        let finalVoxels = Double(final.volume)
        guard finalVoxels > 2 * Double(startVoxels) else { return [final] }
        let start = nearest(Double(startVoxels), in: candidates)
        let ratio = finalVoxels / Double(start.volume)
        let count = 1 + Int((log(ratio) / log(growth)).rounded(.up))
        var result = [start]
        for index in 1..<count {
            let target = Double(start.volume) * pow(ratio, Double(index) / Double(count - 1))
            let patch = index == count - 1 ? final : nearest(target, in: candidates)
            if patch.volume > result[result.count - 1].volume, (0..<3).allSatisfy({ patch[$0] >= result[result.count - 1][$0] }) {
                result.append(patch)
            }
        }
        if result[result.count - 1] != final { result.append(final) }
        return result
    }

    /// Each stage's share of the run: ∝ 2^−i, summing to 1.
    public static func shares(count: Int) -> [Double] {
        let weights = (0..<count).map { pow(0.5, Double($0)) }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }

    /// Patches per optimizer step of a stage of `stageVoxels` in a curriculum ending at `finalVoxels`.
    public static func batch(effectiveBatch: Int, stageVoxels: Int, finalVoxels: Int) -> Int {
        let scale = pow(Double(finalVoxels) / Double(max(stageVoxels, 1)), batchExponent).rounded(.down)
        return min(PlanLimits.effectiveBatch.upperBound / max(effectiveBatch, 1), max(1, Int(scale))) * effectiveBatch
    }

    /// The candidate whose voxel count is nearest `target` on a log scale (the larger on a tie).
    private static func nearest(_ target: Double, in candidates: [Extent3]) -> Extent3 {
        candidates.min { abs(log(Double($0.volume) / target)) < abs(log(Double($1.volume) / target)) }!
    }
}
