import Foundation
import Testing
@testable import PatchTrain

/// Rank r of N draws exactly the patches one process draws for its r-th share of every step, and every rank
/// stands where that process stands at each step boundary.
@Suite struct SampleShareTests {
    @Test(arguments: [(2, 1), (2, 2), (3, 2)])
    func ranksDrawTheSingleProcessSequenceInShares(ranks: Int, patchesPerRank: Int) throws {
        let folder = TemporaryFolder("patchtrain-share")
        let cases = try TrainingFixtures.smallTumourCases(in: folder)
        let steps = 3
        func sampler() -> PatchSampler {
            PatchSampler(cases: cases, patch: Extent3(16, 16, 16), seed: 9,
                         indexCache: ForegroundIndexCache(inMemoryOnlyWithMaximumPerClass: ForegroundIndex.defaultMaximumPerClass),
                         augmentation: .standard, classes: 4)
        }
        let single = sampler()
        let patch = single.makePatch()
        var sequence: [[Float16]] = []
        var boundaries: [PatchSamplerState] = []
        for _ in 0..<steps {
            for _ in 0..<(ranks * patchesPerRank) {
                try single.next(into: patch)
                sequence.append(Array(patch.image))
            }
            boundaries.append(single.state)
        }
        for rank in 0..<ranks {
            let shared = sampler()
            shared.share = SampleShare(rank: rank, ranks: ranks, patchesPerRank: patchesPerRank)
            for step in 0..<steps {
                for k in 0..<patchesPerRank {
                    try shared.next(into: patch)
                    let expected = sequence[step * ranks * patchesPerRank + rank * patchesPerRank + k]
                    #expect(Array(patch.image) == expected, "rank \(rank), step \(step), patch \(k)")
                }
                #expect(shared.state == boundaries[step], "rank \(rank) after step \(step)")
            }
        }
    }
}
