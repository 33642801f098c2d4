import Foundation
import Testing
@testable import PatchTrain

@Suite struct AugmentationTests {
    /// A patch whose image encodes each voxel's position (and the channel) and whose label is a function of the
    /// same position, so any misalignment between the two shows.
    static func positionalPatch(_ extent: Extent3, channels: Int = 2) -> Patch {
        let patch = Patch(extent: extent, channels: channels)
        for x in 0..<extent.x {
            for y in 0..<extent.y {
                for z in 0..<extent.z {
                    let v = (x * extent.y + y) * extent.z + z
                    for c in 0..<channels { patch.image[v * channels + c] = Float16(Float(v * channels + c)) }
                    patch.labels[v] = UInt8((x + 2 * y + 3 * z) % 5)
                }
            }
        }
        return patch
    }

    @Test func flipsMirrorImageAndLabelsTogether() {
        let extent = Extent3(5, 4, 3)  // odd and even lengths: the middle plane of an odd axis stays put
        for flips in [[true, false, false], [false, true, false], [false, false, true], [true, true, true]] {
            let original = AugmentationTests.positionalPatch(extent)
            let patch = AugmentationTests.positionalPatch(extent)
            Augmentation.apply(Augmentation.Draw(flips: flips, scale: 1, shift: 0), to: patch)
            for x in 0..<5 {
                for y in 0..<4 {
                    for z in 0..<3 {
                        let (sx, sy, sz) = (flips[0] ? 4 - x : x, flips[1] ? 3 - y : y, flips[2] ? 2 - z : z)
                        #expect(patch.label(x, y, z) == original.label(sx, sy, sz), "\(flips) label at \(x),\(y),\(z)")
                        for c in 0..<2 {
                            #expect(patch.value(x, y, z, channel: c) == original.value(sx, sy, sz, channel: c))
                        }
                    }
                }
            }
        }
    }

    @Test func intensityIsScaledAndShiftedByEachChannelsSpread() {
        let patch = Patch(extent: Extent3(2, 2, 2), channels: 2)
        // Channel 0: four 1s and four 3s (mean 2, σ 1); channel 1 constant 5 (σ 0: not shifted).
        for v in 0..<8 {
            patch.image[v * 2] = v < 4 ? 1 : 3
            patch.image[v * 2 + 1] = 5
        }
        Augmentation.apply(Augmentation.Draw(flips: [false, false, false], scale: 1.1, shift: -0.1), to: patch)
        for v in 0..<8 {
            #expect(patch.image[v * 2] == Float16((v < 4 ? 1 : 3) * Float(1.1) - 0.1))
            #expect(patch.image[v * 2 + 1] == Float16(5 * Float(1.1)))
        }
    }

    /// Over n = 4,000 draws each coin's count has standard deviation √(n/4) ≈ 32 (0.8% of n); the test allows 4σ.
    /// Scale and shift stay in their ranges and spread over them.
    @Test func drawsFollowTheirDistributions() {
        var generator = SeededGenerator(seed: 8)
        let n = 4_000
        var heads = [0, 0, 0]
        var scales: [Double] = [], shifts: [Double] = []
        for _ in 0..<n {
            let draw = Augmentation.standard.draw(&generator)
            for axis in 0..<3 where draw.flips[axis] { heads[axis] += 1 }
            scales.append(draw.scale)
            shifts.append(draw.shift)
        }
        for count in heads { #expect(abs(Double(count) / Double(n) - 0.5) < 4 * 0.5 / Double(n).squareRoot()) }
        #expect(scales.allSatisfy { (0.9...1.1).contains($0) } && shifts.allSatisfy { (-0.1...0.1).contains($0) })
        #expect(scales.min()! < 0.91 && scales.max()! > 1.09 && shifts.min()! < -0.09 && shifts.max()! > 0.09)
    }

    @Test func withoutAugmentationPatchesAreExactlyTheSampledSlices() throws {
        let folder = TemporaryFolder()
        let cases = try TrainingFixtures.smallTumourCases(in: folder)
        let cache = try ForegroundIndexCache(folder: folder.file("fg"))
        let extent = Extent3(16, 16, 16)
        let plain = PatchSampler(cases: cases, patch: extent, seed: 4, indexCache: cache, augmentation: nil)
        let augmented = PatchSampler(cases: cases, patch: extent, seed: 4, indexCache: cache, augmentation: .standard)
        let a = plain.makePatch(), b = augmented.makePatch()
        var changed = 0
        for _ in 0..<12 {
            try plain.next(into: a)
            try augmented.next(into: b)
            let expected = TrainingFixtures.expectedSlice(of: cases[a.caseIndex], origin: a.origin, extent: extent)
            #expect(a.imageValues == expected.image && a.labelValues == expected.labels)
            // Augmentation has its own generator: the same patches are drawn either way.
            #expect(a.caseIndex == b.caseIndex && a.origin == b.origin)
            if b.imageValues != a.imageValues { changed += 1 }
            // Flips permute labels and nothing else touches them: the same class counts.
            #expect(a.labelValues.sorted() == b.labelValues.sorted())
        }
        #expect(changed == 12, "every augmented patch gets a scale ≠ 1")
        #expect(plain.state.augmentation == nil && augmented.state.augmentation != nil)
    }

    @Test func restoringTheSamplerStateRepeatsTheAugmentations() throws {
        let folder = TemporaryFolder()
        let cases = try TrainingFixtures.smallTumourCases(in: folder)
        let cache = try ForegroundIndexCache(folder: folder.file("fg"))
        let sampler = PatchSampler(cases: cases, patch: Extent3(16, 16, 16), seed: 6, indexCache: cache, augmentation: .standard)
        let patch = sampler.makePatch()
        for _ in 0..<3 { try sampler.next(into: patch) }
        let saved = sampler.state
        var first: [[Float16]] = []
        for _ in 0..<4 { try sampler.next(into: patch); first.append(patch.imageValues) }

        let other = PatchSampler(cases: cases, patch: Extent3(16, 16, 16), seed: 6, indexCache: cache, augmentation: .standard)
        other.state = saved
        for expected in first {
            try other.next(into: patch)
            #expect(patch.imageValues == expected)
        }
    }
}

@Suite struct LearningRateScheduleTests {
    @Test func schedulesFollowTheirFormulas() {
        let base: Float = 1e-2, total = 100
        for t in [0, 1, 37, 50, 99, 100] {
            let p = Double(t) / Double(total)
            #expect(LearningRateSchedule.constant.rate(base: base, step: t, totalSteps: total) == base)
            #expect(LearningRateSchedule.poly.rate(base: base, step: t, totalSteps: total) == Float(1e-2 * pow(1 - p, 0.9)))
            #expect(LearningRateSchedule.cosine.rate(base: base, step: t, totalSteps: total) == Float(1e-2 * 0.5 * (1 + cos(Double.pi * p))))
        }
        // The first update uses the base rate; poly and cosine reach 0 at T and halfway cosine is half the rate.
        #expect(LearningRateSchedule.poly.rate(base: base, step: 0, totalSteps: total) == base)
        #expect(LearningRateSchedule.poly.rate(base: base, step: total, totalSteps: total) == 0)
        #expect(abs(LearningRateSchedule.cosine.rate(base: base, step: 50, totalSteps: total) - base / 2) < 1e-9)
    }
}
