import Foundation
import Testing
@testable import PatchTrain

/// HD95 against a brute-force reference (every surface voxel against every other), and on known answers.
@Suite struct SurfaceDistanceTests {
    /// HD95 by the definition, over the whole volume: surfaces are voxels with a 6-neighbour outside the
    /// structure or outside the volume; all pairwise distances; NumPy's linear-interpolation percentile.
    static func bruteForce(truth: [UInt8], prediction: [UInt8], shape: Extent3, labels: [Int], spacing: SIMD3<Double>) -> Double {
        let members = Set(labels.map(UInt8.init))
        func surface(_ volume: [UInt8]) -> [SIMD3<Double>] {
            func inside(_ x: Int, _ y: Int, _ z: Int) -> Bool {
                x >= 0 && y >= 0 && z >= 0 && x < shape.x && y < shape.y && z < shape.z
                    && members.contains(volume[(x * shape.y + y) * shape.z + z])
            }
            var points: [SIMD3<Double>] = []
            for x in 0..<shape.x {
                for y in 0..<shape.y {
                    for z in 0..<shape.z where inside(x, y, z) {
                        let neighbours = [(x - 1, y, z), (x + 1, y, z), (x, y - 1, z), (x, y + 1, z), (x, y, z - 1), (x, y, z + 1)]
                        if neighbours.contains(where: { !inside($0.0, $0.1, $0.2) }) {
                            points.append(SIMD3(Double(x), Double(y), Double(z)) * spacing)
                        }
                    }
                }
            }
            return points
        }
        let a = surface(prediction), b = surface(truth)
        if a.isEmpty && b.isEmpty { return 0 }
        if a.isEmpty || b.isEmpty {
            let d = SIMD3(Double(shape.x), Double(shape.y), Double(shape.z)) * spacing
            return (d * d).sum().squareRoot()
        }
        func nearest(_ p: SIMD3<Double>, _ set: [SIMD3<Double>]) -> Double {
            set.map { (($0 - p) * ($0 - p)).sum().squareRoot() }.min()!
        }
        let pooled = (a.map { nearest($0, b) } + b.map { nearest($0, a) }).sorted()
        let rank = 0.95 * Double(pooled.count - 1)
        let lo = Int(rank)
        let hi = min(lo + 1, pooled.count - 1)
        return pooled[lo] + (rank - Double(lo)) * (pooled[hi] - pooled[lo])
    }

    func hd95(truth: [UInt8], prediction: [UInt8], shape: Extent3, labels: [Int], spacing: [Float]? = nil,
              slabVoxels: Int = SegmentationMetrics.defaultSlabVoxels) throws -> Double {
        let files = LabelVolumes()
        let (t, p): (any VolumeSource, any VolumeSource)
        if let spacing {
            t = try VolumeOpener.open(try files.nifti("t.nii", truth, shape: shape, spacing: spacing))
            p = try VolumeOpener.open(try files.nifti("p.nii", prediction, shape: shape, spacing: spacing))
        } else {
            t = try VolumeOpener.open(try files.labelMap("t.npy", truth, shape: shape))
            p = try VolumeOpener.open(try files.labelMap("p.npy", prediction, shape: shape))
        }
        let counts = try SegmentationMetrics.count(prediction: p, truth: t)
        return SurfaceDistance.hausdorff95(prediction: p, truth: t, labels: labels, counts: counts, spacing: VoxelSpacing.of([t, p]),
                                           slabVoxels: slabVoxels)
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func matchesBruteForceOnBlobs(seed: UInt64) throws {
        let shape = Extent3(9, 7, 6)
        let truth = LabelVolumes.random(shape, classes: 4, seed: seed, blobs: true)
        let prediction = LabelVolumes.random(shape, classes: 4, seed: seed + 100, blobs: true)
        for labels in [[1], [2], [3], [1, 2, 3], [1, 3]] {
            let measured = try hd95(truth: truth, prediction: prediction, shape: shape, labels: labels)
            let expected = Self.bruteForce(truth: truth, prediction: prediction, shape: shape, labels: labels, spacing: SIMD3(1, 1, 1))
            #expect(abs(measured - expected) < 1e-4, "labels \(labels): \(measured) vs \(expected)")
        }
    }

    @Test(arguments: [UInt64(11), 12, 13])
    func matchesBruteForceWithAnisotropicVoxels(seed: UInt64) throws {
        let shape = Extent3(8, 6, 7)
        let truth = LabelVolumes.random(shape, classes: 3, seed: seed, blobs: true)
        let prediction = LabelVolumes.random(shape, classes: 3, seed: seed + 100)  // scattered voxels: many surfaces
        let spacing: [Float] = [0.5, 1.25, 3]
        for labels in [[1], [2], [1, 2]] {
            let measured = try hd95(truth: truth, prediction: prediction, shape: shape, labels: labels, spacing: spacing)
            let expected = Self.bruteForce(truth: truth, prediction: prediction, shape: shape, labels: labels, spacing: SIMD3(0.5, 1.25, 3))
            #expect(abs(measured - expected) < 1e-4, "labels \(labels): \(measured) vs \(expected)")
        }
    }

    /// The structure's box read in pieces (rows, parts of planes, planes) must give the same masks as read whole;
    /// `.npy` pieces are x-planes, NIfTI pieces z-planes.
    @Test(arguments: [1, 2, 5, 9, 30, 1000])
    func readingTheBoxInSlabsChangesNothing(slabVoxels: Int) throws {
        let shape = Extent3(9, 7, 6)
        let truth = LabelVolumes.random(shape, classes: 4, seed: 21, blobs: true)
        let prediction = LabelVolumes.random(shape, classes: 4, seed: 22, blobs: true)
        for spacing in [nil, [Float(1), 1, 1]] {
            let measured = try hd95(truth: truth, prediction: prediction, shape: shape, labels: [1, 2, 3], spacing: spacing, slabVoxels: slabVoxels)
            let expected = Self.bruteForce(truth: truth, prediction: prediction, shape: shape, labels: [1, 2, 3], spacing: SIMD3(1, 1, 1))
            #expect(abs(measured - expected) < 1e-4, "\(spacing == nil ? "npy" : "NIfTI"): \(measured) vs \(expected)")
        }
    }

    @Test func twoSingleVoxelsAreTheirDistanceApart() throws {
        let shape = Extent3(4, 5, 2)
        var truth = [UInt8](repeating: 0, count: shape.volume)
        var prediction = truth
        truth[0] = 1  // (0, 0, 0)
        prediction[(3 * 5 + 4) * 2 + 0] = 1  // (3, 4, 0): 5 voxels away
        #expect(try hd95(truth: truth, prediction: prediction, shape: shape, labels: [1]) == 5)
        // In mm: x 2 mm, y 0.5 mm: √(6² + 2²).
        let mm = try hd95(truth: truth, prediction: prediction, shape: shape, labels: [1], spacing: [2, 0.5, 1])
        #expect(abs(mm - (40.0).squareRoot()) < 1e-5)
    }

    @Test func identicalStructuresAreZeroApart() throws {
        let shape = Extent3(6, 6, 6)
        let labels = LabelVolumes.random(shape, classes: 3, seed: 9, blobs: true)
        #expect(try hd95(truth: labels, prediction: labels, shape: shape, labels: [1, 2]) == 0)
    }

    @Test func emptyStructuresFollowBraTS() throws {
        let shape = Extent3(3, 4, 12)
        let nothing = [UInt8](repeating: 0, count: shape.volume)
        var something = nothing
        something[5] = 2
        #expect(try hd95(truth: nothing, prediction: nothing, shape: shape, labels: [2]) == 0)
        // Present in one volume only: the diagonal, √(3² + 4² + 12²) = 13.
        #expect(try hd95(truth: something, prediction: nothing, shape: shape, labels: [2]) == 13)
        #expect(try hd95(truth: nothing, prediction: something, shape: shape, labels: [2]) == 13)
    }

    @Test func percentileInterpolatesLikeNumPy() {
        // numpy.percentile([1, 2, 3, 4], 95) = 3.85; of [7], 7.
        #expect(abs(SurfaceDistance.percentile([1, 2, 3, 4], 0.95) - 3.85) < 1e-12)
        #expect(SurfaceDistance.percentile([7], 0.95) == 7)
        #expect(SurfaceDistance.percentile([], 0.95) == 0)
    }

    @Test func spacingComesFromNIfTIInMillimetres() throws {
        let files = LabelVolumes()
        let labels = [UInt8](repeating: 0, count: 8)
        let nifti = try VolumeOpener.open(try files.nifti("a.nii", labels, shape: Extent3(2, 2, 2), spacing: [0.5, 1, 2]))
        let npy = try VolumeOpener.open(try files.labelMap("a.npy", labels, shape: Extent3(2, 2, 2)))
        #expect(VoxelSpacing.of([nifti, npy]) == VoxelSpacing(size: SIMD3(0.5, 1, 2), unit: .millimetre))
        #expect(VoxelSpacing.of([npy, nifti]) == VoxelSpacing(size: SIMD3(0.5, 1, 2), unit: .millimetre))
        #expect(VoxelSpacing.of([npy]) == .voxel)
    }
}
