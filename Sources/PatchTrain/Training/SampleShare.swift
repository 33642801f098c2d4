/// Which patches of the seed's one sequence a rank trains on. A step of a data-parallel run consumes
/// `ranks × patchesPerRank` draws of the sequence; rank r trains on the r-th run of `patchesPerRank` of them and
/// steps over the others' draws (drawing them, not reading them).
///
/// So rank r's stream is derived from the seed and the rank, and, by construction, it is exactly what one process
/// with `ranks` times the accumulation trains on in micro-batches `r·A ..< (r+1)·A` of each step: N ranks and one
/// process at the same effective batch see the same patches, and every rank stands at the same place of the
/// sequence at each step boundary, so one sampler state in a checkpoint resumes every rank.
public struct SampleShare: Sendable, Equatable {
    public let rank: Int
    public let ranks: Int
    /// Patches a rank trains on per step: micro-batch × accumulation steps.
    public let patchesPerRank: Int

    public init(rank: Int, ranks: Int, patchesPerRank: Int) {
        precondition(ranks >= 1 && (0..<ranks).contains(rank) && patchesPerRank >= 1, "bad share \(rank)/\(ranks)×\(patchesPerRank)")
        self.rank = rank
        self.ranks = ranks
        self.patchesPerRank = patchesPerRank
    }

    /// Draws per optimizer step, over all ranks.
    public var drawsPerStep: Int { ranks * patchesPerRank }

    /// Whether draw number `draw` (counted from the start of the run) is this rank's.
    public func owns(draw: Int) -> Bool { (draw % drawsPerStep) / patchesPerRank == rank }

    /// Whether draw number `draw` begins a step.
    public func startsStep(draw: Int) -> Bool { draw % drawsPerStep == 0 }
}
