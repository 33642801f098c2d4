import Foundation
import Testing
@testable import PatchTrain

@Suite struct PatchSamplerTests {
    @Test func sampledPatchesEqualDirectSlicesIncludingZeroPadding() throws {
        let folder = TemporaryFolder()
        let cases = try TrainingFixtures.smallTumourCases(in: folder, channels: 2)
        let cache = try ForegroundIndexCache(folder: folder.file("fg"))
        // Larger than the volume along x and z, smaller along y: padding on some axes, cropping on another.
        for extent in [Extent3(48, 16, 32), Extent3(8, 8, 8)] {
            let sampler = PatchSampler(cases: cases, patch: extent, seed: 11, foregroundFraction: 0.5, indexCache: cache)
            let patch = sampler.makePatch()
            var padded = 0
            for _ in 0..<40 {
                try sampler.next(into: patch)
                let trainingCase = cases[patch.caseIndex]
                #expect(patch.caseID == trainingCase.id)
                let expected = TrainingFixtures.expectedSlice(of: trainingCase, origin: patch.origin, extent: extent)
                #expect(patch.imageValues == expected.image, "image of \(patch.caseID) at \(patch.origin)")
                #expect(patch.labelValues == expected.labels, "labels of \(patch.caseID) at \(patch.origin)")
                if !Box3(origin: patch.origin, size: extent).isInside(trainingCase.image.shape.spatial) { padded += 1 }
            }
            #expect(padded > 0, "some \(extent) patches should reach past the border")
        }
    }

    @Test func uniformPatchesLieInsideOrContainTheVolume() throws {
        let folder = TemporaryFolder()
        let cases = try TrainingFixtures.smallTumourCases(in: folder)
        let extent = Extent3(48, 16, 28)  // x larger than 40, y smaller than 36, z equal to 28
        let sampler = PatchSampler(cases: cases, patch: extent, seed: 3, foregroundFraction: 0)
        var xs = Set<Int>(), ys = Set<Int>()
        for _ in 0..<500 {
            let draw = try sampler.nextDraw()
            #expect(!draw.centredOnForeground)
            #expect((-8...0).contains(draw.origin.x))
            #expect((0...20).contains(draw.origin.y))
            #expect(draw.origin.z == 0)
            xs.insert(draw.origin.x)
            ys.insert(draw.origin.y)
        }
        #expect(xs.count == 9 && ys.count == 21, "every position is reachable")
    }

    /// With the default fraction 1/3 and tumours of ~20 voxels in 40,320, a patch's centre is foreground with
    /// probability p ≈ 1/3 (+ 0.0003 from uniform hits). Over n = 2,000 draws the count's standard deviation is
    /// √(n·p·(1−p)) ≈ 21 patches, i.e. 0.0105 of the fraction; the test allows 4σ = 0.042.
    @Test func foregroundFractionMatchesWithinBinomialTolerance() throws {
        let folder = TemporaryFolder()
        let cases = try TrainingFixtures.smallTumourCases(in: folder)
        let cache = try ForegroundIndexCache(folder: folder.file("fg"))
        let draws = 2_000
        for seed: UInt64 in [1, 2] {
            let sampler = PatchSampler(cases: cases, patch: Extent3(16, 16, 16), seed: seed, indexCache: cache)
            let patch = sampler.makePatch()
            var foreground = 0
            for _ in 0..<draws {
                try sampler.next(into: patch)
                let c = patch.centre
                if patch.label(c.x, c.y, c.z) != 0 { foreground += 1 }
            }
            let fraction = Double(foreground) / Double(draws)
            let sigma = (1.0 / 3 * 2.0 / 3 / Double(draws)).squareRoot()
            #expect(abs(fraction - 1.0 / 3) < 4 * sigma, "seed \(seed): \(foreground) of \(draws) centred on foreground")
        }

        // The same cases sampled uniformly almost never hit the tumour: the oversampling is what finds it.
        let uniform = PatchSampler(cases: cases, patch: Extent3(16, 16, 16), seed: 1, foregroundFraction: 0)
        let patch = uniform.makePatch()
        var hits = 0
        for _ in 0..<draws {
            try uniform.next(into: patch)
            let c = patch.centre
            if patch.label(c.x, c.y, c.z) != 0 { hits += 1 }
        }
        #expect(hits <= 10, "uniform sampling hit the tumour \(hits) times")
    }

    @Test func foregroundDrawsVisitEveryPresentClass() throws {
        let folder = TemporaryFolder()
        let cases = try TrainingFixtures.smallTumourCases(in: folder)
        let sampler = PatchSampler(cases: cases, patch: Extent3(8, 8, 8), seed: 5, foregroundFraction: 1,
                                   indexCache: try ForegroundIndexCache(folder: folder.file("fg")))
        let patch = sampler.makePatch()
        var seen = Set<UInt8>()
        for _ in 0..<200 {
            try sampler.next(into: patch)
            #expect(patch.centredOnForeground)
            let c = patch.centre
            seen.insert(patch.label(c.x, c.y, c.z))
        }
        #expect(seen == [1, 2, 3])
    }

    @Test func sameSeedGivesSamePatchesAndDifferentSeedDiffers() throws {
        let folder = TemporaryFolder()
        let cases = try TrainingFixtures.smallTumourCases(in: folder)
        let cache = try ForegroundIndexCache(folder: folder.file("fg"))
        func sequence(seed: UInt64) throws -> [(PatchDraw, [Float16], [UInt8])] {
            let sampler = PatchSampler(cases: cases, patch: Extent3(12, 12, 12), seed: seed, indexCache: cache)
            let patch = sampler.makePatch()
            return try (0..<30).map { _ in
                try sampler.next(into: patch)
                let draw = PatchDraw(caseIndex: patch.caseIndex, origin: patch.origin, centredOnForeground: patch.centredOnForeground)
                return (draw, patch.imageValues, patch.labelValues)
            }
        }
        let a = try sequence(seed: 42), b = try sequence(seed: 42), c = try sequence(seed: 43)
        #expect(a.map(\.0) == b.map(\.0))
        #expect(a.map(\.1) == b.map(\.1))
        #expect(a.map(\.2) == b.map(\.2))
        #expect(a.map(\.0) != c.map(\.0))
        #expect(a.map(\.1) != c.map(\.1))
    }

    @Test func restoredStateRepeatsTheFollowingDraws() throws {
        let folder = TemporaryFolder()
        let cases = try TrainingFixtures.smallTumourCases(in: folder)
        let cache = try ForegroundIndexCache(folder: folder.file("fg"))
        let sampler = PatchSampler(cases: cases, patch: Extent3(12, 12, 12), seed: 9, indexCache: cache)
        for _ in 0..<17 { _ = try sampler.nextDraw() }
        // Through JSON, as a checkpoint would store it.
        let saved = try JSONEncoder().encode(sampler.state)
        let expected = try (0..<25).map { _ in try sampler.nextDraw() }

        let resumed = PatchSampler(cases: cases, patch: Extent3(12, 12, 12), seed: 0, indexCache: cache)
        resumed.state = try JSONDecoder().decode(PatchSamplerState.self, from: saved)
        #expect(resumed.state.drawn == 17)
        #expect(try (0..<25).map { _ in try resumed.nextDraw() } == expected)
    }

    @Test func labelMapMasksSampleLikeOneHotMasks() throws {
        let folder = TemporaryFolder()
        let tumours = [TrainingFixtures.Tumour(label: 2, box: Box3(origin: Extent3(3, 4, 5), size: Extent3(2, 2, 2)))]
        let oneHot = try TrainingFixtures.writeCase(in: folder, name: "onehot", extent: Extent3(12, 10, 8), tumours: tumours)
        let labelMap = try TrainingFixtures.writeCase(in: folder, name: "labels", extent: Extent3(12, 10, 8), tumours: tumours, labelMap: true)
        let cache = try ForegroundIndexCache(folder: folder.file("fg"))
        let a = PatchSampler(cases: [oneHot], patch: Extent3(6, 6, 6), seed: 4, foregroundFraction: 0.5, indexCache: cache)
        let b = PatchSampler(cases: [labelMap], patch: Extent3(6, 6, 6), seed: 4, foregroundFraction: 0.5, indexCache: cache)
        let (pa, pb) = (a.makePatch(), b.makePatch())
        for _ in 0..<20 {
            try a.next(into: pa)
            try b.next(into: pb)
            #expect(pa.origin == pb.origin)
            #expect(pa.labelValues == pb.labelValues)
            #expect(pa.imageValues == pb.imageValues)
        }
    }

    @Test func mismatchedMaskIsReportedWithTheCaseName() throws {
        let folder = TemporaryFolder()
        let good = try TrainingFixtures.writeCase(in: folder, name: "good", extent: Extent3(8, 8, 8), tumours: [])
        let other = try TrainingFixtures.writeCase(in: folder, name: "other", extent: Extent3(8, 8, 6), tumours: [])
        let bad = TrainingCase(id: "BraTS_bad", image: good.image, mask: other.mask)
        let sampler = PatchSampler(cases: [bad], patch: Extent3(4, 4, 4), seed: 1, foregroundFraction: 0)
        #expect {
            try sampler.next(into: sampler.makePatch())
        } throws: { error in
            guard let error = error as? InputError else { return false }
            return error.file == other.mask.path && error.problem.contains("BraTS_bad")
        }
    }

    @Test func dataPipelineMemoryCountsThePoolExactly() {
        let memory = DataPipelineMemory.count(depth: 2, microBatch: 2, patch: Extent3(128, 128, 128), channels: 4)
        // 128³ voxels × (4 channels × 2 bytes + 1 label byte) per patch, 3 × 2 patches.
        #expect(Patch.byteCount(extent: Extent3(128, 128, 128), channels: 4) == 128 * 128 * 128 * 9)
        #expect(memory.patchPool == 6 * 128 * 128 * 128 * 9)
        #expect(memory.samplerScratch == 128 * 128 * (4 * 4 + 1))
        #expect(memory.total == memory.patchPool + memory.samplerScratch + memory.foregroundIndexes + memory.mappedPages)
        #expect(Prefetcher.memory(depth: 2, microBatch: 2, patch: Extent3(128, 128, 128), channels: 4) == memory)
    }
}
