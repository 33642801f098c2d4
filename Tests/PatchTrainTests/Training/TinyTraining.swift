import Foundation
import PatchTrain

/// Small training configurations that run in a fraction of a second per step even in debug builds: the seed
/// network's shape at base 4 filters on 16³ patches.
enum TinyTraining {
    static func configuration(classes: Int = 4, normalization: NormalizationKind = .batch) -> UNetConfiguration {
        UNetConfiguration(inputChannels: 1, classes: classes, baseFilters: 4, depth: 4, normalization: normalization)
    }

    /// A plan for 16³ patches at `microBatch` × `accumulation` (planned with a fixed baseline so no measurement runs).
    static func plan(microBatch: Int = 1, accumulation: Int = 2, classes: Int = 4, normalization: NormalizationKind = .batch,
                     volume: Extent3 = Extent3(40, 36, 28)) -> MemoryPlan {
        let planner = MemoryPlanner(configuration: configuration(classes: classes, normalization: normalization), volume: volume,
                                    effectiveBatch: microBatch * accumulation,
                                    fixed: FixedMemory(runtimeBytes: 40 << 20, source: "test"), workspaceBytes: KernelWorkspace.bytes)
        return planner.plan(patch: Extent3(16, 16, 16), microBatch: microBatch, budget: 1 << 30)
    }

    /// `plan` written as `fit --plan` reads it.
    static func writePlan(_ plan: MemoryPlan, to path: String) throws {
        try JSONEncoder().encode(plan).write(to: URL(fileURLWithPath: path))
    }

    /// Every float of the store (weights, statistics, both moments) and every counter, for bit-exact comparison.
    static func snapshot(_ store: ParameterStore) -> (values: [UInt32], moments: [UInt32], counters: [Int64]) {
        let values = (0..<store.floatCount).map { store.values[$0].bitPattern }
        let moments = (0..<store.trainableCount).flatMap { [store.firstMoments[$0].bitPattern, store.secondMoments[$0].bitPattern] }
        let counters = store.specs.filter { $0.elementType == .int64 }.map { store.counter($0.name) }
        return (values, moments, counters)
    }
}
