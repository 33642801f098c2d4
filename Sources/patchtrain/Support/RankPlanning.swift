import ArgumentParser
import PatchTrain

/// The planner for each rank of a data-parallel run: `--batch` is the run's effective batch, shared by the ranks,
/// and each rank's plan adds its communication buffers (the MPI library's own memory is in the measured baseline
/// when the planning process is itself a rank).
enum RankPlanning {
    static func validate(ranks: Int, batch: Int?) throws {
        guard ranks >= 1 else { throw ValidationError("--ranks must be at least 1") }
        if let batch, batch % ranks != 0 {
            throw ValidationError("--batch \(batch) is not a multiple of the \(ranks) ranks: each rank trains on the same number of patches")
        }
    }

    /// `packReadingBytes`: what reading the dataset's pack holds (`DatasetGeometry`), nil for volume files.
    static func planner(configuration: UNetConfiguration, volume: Extent3, planning: PlanningOptions, ranks: Int,
                        prefetchDepth: Int = 2, packReadingBytes: Int? = nil) throws -> MemoryPlanner {
        // Without --batch, each rank keeps the default of 2 patches per step.
        let perRank = planning.batch.map { $0 / ranks } ?? planning.effectiveBatch
        var planner = try MemoryPlanner.measured(configuration: configuration, volume: volume, effectiveBatch: perRank,
                                                 prefetchDepth: prefetchDepth)
        planner.ranks = ranks
        planner.packReadingBytes = packReadingBytes
        planner.communicationBytes = DataParallel.communicationBytes(ranks: ranks)
        return planner
    }
}
