import Testing
@testable import PatchTrain

/// Properties of the synthetic generator that the rest of patchtrain (and its users' first experiments) rely on.
@Suite struct SyntheticBrainTests {
    static let small = Extent3(64, 64, 48)

    /// The bit patterns, so that "identical" means identical bytes, not merely equal floats.
    static func bits(_ image: [Float]) -> [UInt32] { image.map(\.bitPattern) }

    @Test func sameSeedAndCaseGiveIdenticalBytes() {
        let a = SyntheticBrain(shape: Self.small, seed: 11, caseIndex: 3).generate()
        let b = SyntheticBrain(shape: Self.small, seed: 11, caseIndex: 3).generate()
        #expect(Self.bits(a.image) == Self.bits(b.image))
        #expect(a.labels == b.labels)
    }

    @Test func differentSeedOrCaseGiveDifferentCases() {
        let base = SyntheticBrain(shape: Self.small, seed: 11, caseIndex: 3).generate()
        let otherSeed = SyntheticBrain(shape: Self.small, seed: 12, caseIndex: 3).generate()
        let otherCase = SyntheticBrain(shape: Self.small, seed: 11, caseIndex: 4).generate()
        #expect(Self.bits(base.image) != Self.bits(otherSeed.image))
        #expect(base.labels != otherSeed.labels)
        #expect(Self.bits(base.image) != Self.bits(otherCase.image))
        #expect(base.labels != otherCase.labels)
    }

    @Test func renderingOnOneThreadInSlabsMatchesTheConcurrentRender() {
        let brain = SyntheticBrain(shape: Self.small, seed: 5, caseIndex: 0)
        let whole = brain.generate()
        let plane = Self.small.y * Self.small.z
        var image = [Float](repeating: -1, count: Self.small.volume)
        var labels = [UInt8](repeating: 255, count: Self.small.volume)
        image.withUnsafeMutableBufferPointer { im in
            labels.withUnsafeMutableBufferPointer { lab in
                // Uneven slabs on purpose.
                for planes in [0..<7, 7..<8, 8..<40, 40..<64] {
                    brain.render(planes: planes, image: im.baseAddress! + planes.lowerBound * plane,
                                 labels: lab.baseAddress! + planes.lowerBound * plane)
                }
            }
        }
        #expect(Self.bits(image) == Self.bits(whole.image))
        #expect(labels == whole.labels)
    }

    @Test(arguments: 0..<4)
    func allFourClassesArePresentInPlausibleFractions(caseIndex: Int) {
        let (image, labels) = SyntheticBrain(shape: Self.small, seed: 2, caseIndex: caseIndex).generate()
        var counts = [Int](repeating: 0, count: 4)
        for label in labels { counts[Int(label)] += 1 }
        let total = Double(labels.count)
        let brain = Double(image.filter { $0 > 0 }.count) / total
        #expect(counts[Int(SyntheticClass.core.rawValue)] >= 10)
        #expect(counts[Int(SyntheticClass.enhancing.rawValue)] >= 50)
        #expect(counts[Int(SyntheticClass.edema.rawValue)] > counts[Int(SyntheticClass.enhancing.rawValue)])
        let tumour = Double(counts[1] + counts[2] + counts[3]) / total
        #expect(tumour > 0.003 && tumour < 0.08, "tumour fraction \(tumour)")
        #expect(brain > 0.15 && brain < 0.45, "brain fraction \(brain)")
    }

    /// The lesion is nested: necrotic core ⊂ enhancing shell ⊂ edema ⊂ brain, with no gaps a voxel wide.
    /// Checked on the 6-neighbourhood: the core touches only core and enhancing voxels, the enhancing shell never
    /// touches normal tissue, and no tumour voxel touches the air outside the brain.
    @Test(arguments: 0..<6)
    func lesionLayersAreNested(caseIndex: Int) {
        let shape = Self.small
        let (image, labels) = SyntheticBrain(shape: shape, seed: 9, caseIndex: caseIndex).generate()
        let core = SyntheticClass.core.rawValue, edema = SyntheticClass.edema.rawValue
        let enhancing = SyntheticClass.enhancing.rawValue, background = SyntheticClass.background.rawValue
        var violations: [String] = []
        for x in 1..<(shape.x - 1) {
            for y in 1..<(shape.y - 1) {
                for z in 1..<(shape.z - 1) {
                    let i = (x * shape.y + y) * shape.z + z
                    let label = labels[i]
                    guard label != background else { continue }
                    for step in [shape.y * shape.z, shape.z, 1] {
                        for n in [i - step, i + step] {
                            let other = labels[n]
                            if label == core && other != core && other != enhancing {
                                violations.append("core at \(x),\(y),\(z) touches class \(other)")
                            }
                            if label == enhancing && other == background {
                                violations.append("enhancing at \(x),\(y),\(z) touches normal tissue")
                            }
                            if image[n] == 0 {
                                violations.append("class \(label) at \(x),\(y),\(z) touches air")
                            }
                        }
                    }
                }
            }
        }
        #expect(violations.isEmpty, "\(violations.count) violations, first: \(violations.prefix(3))")
        #expect(labels.contains(edema))
    }

    @Test func imageIsFiniteAndAirIsZero() {
        let brain = SyntheticBrain(shape: Self.small, seed: 4, caseIndex: 1)
        let (image, _) = brain.generate()
        #expect(image.allSatisfy { $0.isFinite && $0 >= 0 })
        // Outside the brain's ellipsoid (plus the reach of its surface noise) everything is exactly zero.
        let b = brain.model.brain
        let limit = 1 + SyntheticBrainModel.brainSurfaceAmplitude + 1e-6
        var outside = 0, nonZeroOutside = 0
        for x in 0..<Self.small.x {
            for y in 0..<Self.small.y {
                for z in 0..<Self.small.z {
                    let q = (SIMD3(Double(x), Double(y), Double(z)) - b.center) / b.semiAxes
                    guard (q * q).sum() > limit * limit else { continue }
                    outside += 1
                    if image[(x * Self.small.y + y) * Self.small.z + z] != 0 { nonZeroOutside += 1 }
                }
            }
        }
        #expect(outside > Self.small.volume / 2)
        #expect(nonZeroOutside == 0)
        #expect(image[0] == 0 && image[image.count - 1] == 0)
    }

    @Test(arguments: 0..<3)
    func tumourClassesDifferFromNormalTissueOnAverage(caseIndex: Int) {
        let (image, labels) = SyntheticBrain(shape: Self.small, seed: 21, caseIndex: caseIndex).generate()
        var sums = [Double](repeating: 0, count: 4), counts = [Double](repeating: 0, count: 4)
        for (value, label) in zip(image, labels) where value > 0 {
            sums[Int(label)] += Double(value)
            counts[Int(label)] += 1
        }
        let mean = (0..<4).map { sums[$0] / max(counts[$0], 1) }
        let normal = mean[Int(SyntheticClass.background.rawValue)]
        #expect(mean[Int(SyntheticClass.edema.rawValue)] > normal + 0.08, "\(mean)")
        #expect(mean[Int(SyntheticClass.enhancing.rawValue)] > mean[Int(SyntheticClass.edema.rawValue)] + 0.1, "\(mean)")
        #expect(mean[Int(SyntheticClass.core.rawValue)] < normal - 0.1, "\(mean)")
    }

    @Test func tinyVolumesStillRender() {
        let (image, labels) = SyntheticBrain(shape: Extent3(16, 16, 16), seed: 1, caseIndex: 0).generate()
        #expect(image.allSatisfy { $0.isFinite })
        #expect(labels.allSatisfy { $0 < 4 })
        #expect(image.contains { $0 > 0 })
    }
}
