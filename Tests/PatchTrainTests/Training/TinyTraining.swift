import Foundation
@testable import PatchTrain

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
    static func snapshot(_ store: ParameterStore) -> StoreSnapshot {
        StoreSnapshot(values: (0..<store.floatCount).map { store.values[$0].bitPattern },
                      moments: (0..<store.trainableCount).flatMap { [store.firstMoments[$0].bitPattern, store.secondMoments[$0].bitPattern] },
                      counters: store.specs.filter { $0.elementType == .int64 }.map { store.counter($0.name) })
    }
}

/// A store's bits. Compared with `difference(from:)`, which names the first mismatch: letting the test library
/// diff arrays of a few hundred thousand elements on a failure takes longer than the test.
struct StoreSnapshot {
    let values: [UInt32]
    let moments: [UInt32]
    let counters: [Int64]

    /// nil when equal, else where they first differ.
    func difference(from other: StoreSnapshot) -> String? {
        func first<T: Equatable>(_ name: String, _ a: [T], _ b: [T]) -> String? {
            guard a.count == b.count else { return "\(name): \(a.count) vs \(b.count) entries" }
            guard let i = a.indices.first(where: { a[$0] != b[$0] }) else { return nil }
            let mismatches = a.indices.filter { a[$0] != b[$0] }.count
            return "\(name) differ at \(mismatches) of \(a.count) entries, first at \(i): \(a[i]) vs \(b[i])"
        }
        return first("values", values, other.values) ?? first("moments", moments, other.moments) ?? first("counters", counters, other.counters)
    }
}
