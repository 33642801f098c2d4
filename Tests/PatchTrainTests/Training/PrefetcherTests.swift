import Foundation
import Testing
@testable import PatchTrain

@Suite struct PrefetcherTests {
    private func contents(_ patch: Patch) -> (PatchDraw, [Float16], [UInt8]) {
        (PatchDraw(caseIndex: patch.caseIndex, origin: patch.origin, centredOnForeground: patch.centredOnForeground),
         patch.imageValues, patch.labelValues)
    }

    @Test(arguments: [(1, 1), (2, 3), (4, 2)])
    func yieldsExactlyTheSamplersSequence(depth: Int, microBatch: Int) throws {
        let folder = TemporaryFolder()
        let cases = try TrainingFixtures.smallTumourCases(in: folder)
        let cache = try ForegroundIndexCache(folder: folder.file("fg"))
        let extent = Extent3(12, 10, 8)

        let reference = PatchSampler(cases: cases, patch: extent, seed: 77, indexCache: cache)
        let patch = reference.makePatch()
        let expected = try (0..<(12 * microBatch)).map { _ in
            try reference.next(into: patch)
            return contents(patch)
        }

        let prefetcher = Prefetcher(
            sampler: PatchSampler(cases: cases, patch: extent, seed: 77, indexCache: cache), depth: depth, microBatch: microBatch)
        for b in 0..<12 {
            // A slow consumer now and then, so the queue runs both full and empty.
            if b % 4 == 1 { Thread.sleep(forTimeInterval: 0.01) }
            let batch = try prefetcher.next()
            #expect(batch.sequenceNumber == b)
            #expect(batch.count == microBatch)
            for i in 0..<microBatch {
                let got = contents(batch[i])
                let want = expected[b * microBatch + i]
                #expect(got.0 == want.0)
                #expect(got.1 == want.1)
                #expect(got.2 == want.2)
                // The micro-batch is one contiguous (batch, x, y, z, c) tensor: patch i is its i-th slice.
                let n = extent.volume
                #expect(Array(batch.image[(i * n)..<((i + 1) * n)]) == want.1)
                #expect(Array(batch.labels[(i * n)..<((i + 1) * n)]) == want.2)
            }
        }
        prefetcher.stop()
    }

    @Test func resumeStateContinuesAfterTheConsumedBatches() throws {
        let folder = TemporaryFolder()
        let cases = try TrainingFixtures.smallTumourCases(in: folder)
        let cache = try ForegroundIndexCache(folder: folder.file("fg"))
        let extent = Extent3(8, 8, 8)
        let prefetcher = Prefetcher(
            sampler: PatchSampler(cases: cases, patch: extent, seed: 5, indexCache: cache), depth: 3, microBatch: 2)
        #expect(prefetcher.resumeState == PatchSampler(cases: cases, patch: extent, seed: 5).state)
        for _ in 0..<3 { _ = try prefetcher.next() }
        Thread.sleep(forTimeInterval: 0.05)  // let the producer run ahead; the resume point must not move
        let state = prefetcher.resumeState
        #expect(state.drawn == 6)
        let following = try prefetcher.next().patches.map { contents($0).0 }

        let resumed = PatchSampler(cases: cases, patch: extent, seed: 0, indexCache: cache)
        resumed.state = state
        #expect(try (0..<2).map { _ in try resumed.nextDraw() } == following)
    }

    /// Validation waits for this before it maps its own file pages (`ValidationMemory` counts on it): the
    /// producer has filled its queue and reads nothing more until a batch is taken.
    @Test(arguments: [(1, 1), (2, 2), (3, 1)])
    func restsOnceItsQueueIsFull(depth: Int, microBatch: Int) throws {
        let folder = TemporaryFolder()
        let cases = try TrainingFixtures.smallTumourCases(in: folder)
        let cache = try ForegroundIndexCache(folder: folder.file("fg"))
        let sampler = PatchSampler(cases: cases, patch: Extent3(8, 8, 8), seed: 3, indexCache: cache)
        let prefetcher = Prefetcher(sampler: sampler, depth: depth, microBatch: microBatch)
        for taken in 0..<3 {
            if taken > 0 { _ = try prefetcher.next() }
            prefetcher.waitUntilResting()
            // The lock taken on return orders the producer's last draw before this read.
            #expect(sampler.state.drawn == (taken + depth) * microBatch)
            Thread.sleep(forTimeInterval: 0.03)
            prefetcher.waitUntilResting()
            #expect(sampler.state.drawn == (taken + depth) * microBatch)
        }
        prefetcher.stop()
    }

    @Test func readingErrorReachesTheConsumerInOrderWithTheCaseName() throws {
        let folder = TemporaryFolder()
        let good = try TrainingFixtures.writeCase(in: folder, name: "good", extent: Extent3(8, 8, 8), tumours: [])
        let other = try TrainingFixtures.writeCase(in: folder, name: "other", extent: Extent3(8, 8, 6), tumours: [])
        let bad = TrainingCase(id: "BraTS_bad", image: good.image, mask: other.mask)
        let cases = [good, bad]
        let extent = Extent3(4, 4, 4)

        // Which draw first reaches the bad case, from a sampler that only draws.
        let probe = PatchSampler(cases: cases, patch: extent, seed: 8, foregroundFraction: 0)
        var firstBad = 0
        while try probe.nextDraw().caseIndex != 1 { firstBad += 1 }

        let prefetcher = Prefetcher(
            sampler: PatchSampler(cases: cases, patch: extent, seed: 8, foregroundFraction: 0), depth: 2, microBatch: 1)
        for _ in 0..<firstBad {
            #expect(try prefetcher.next()[0].caseID == "good")
        }
        #expect {
            _ = try prefetcher.next()
        } throws: { error in
            "\(error)".contains("BraTS_bad") && "\(error)".contains(other.mask.path)
        }
        // The producer has ended; asking again repeats the error rather than hanging.
        #expect(throws: InputError.self) { _ = try prefetcher.next() }
    }

    @Test func stopEndsTheProducerAndLaterCallsThrow() throws {
        let folder = TemporaryFolder()
        let cases = try TrainingFixtures.smallTumourCases(in: folder)
        let prefetcher = Prefetcher(
            sampler: PatchSampler(cases: cases, patch: Extent3(16, 16, 16), seed: 1, foregroundFraction: 0), depth: 2, microBatch: 2)
        _ = try prefetcher.next()
        prefetcher.stop()
        prefetcher.stop()
        #expect(throws: RuntimeFailure.self) { _ = try prefetcher.next() }

        // Dropping a running prefetcher (with a full queue) stops its thread rather than leaking it.
        do {
            let dropped = Prefetcher(
                sampler: PatchSampler(cases: cases, patch: Extent3(16, 16, 16), seed: 2, foregroundFraction: 0), depth: 1)
            Thread.sleep(forTimeInterval: 0.02)
            _ = dropped
        }
    }
}
