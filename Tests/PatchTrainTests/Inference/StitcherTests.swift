import Foundation
@testable import PatchTrain
import Testing

/// The stitcher against known predictors: where every window says the same thing about a voxel, the stitched
/// volume must say exactly that, at the borders and corners too, whatever the blend and mirroring.
@Suite struct StitcherTests {
    /// A smooth function of the global position and class, what a perfectly consistent network would output.
    static func truth(_ x: Int, _ y: Int, _ z: Int, _ c: Int) -> Float {
        Float(0.5 + 0.4 * sin(0.37 * Double(x) + 0.11 * Double(c)) * cos(0.23 * Double(y) - 0.5 * Double(z) * 0.1 + Double(c)))
    }

    /// Runs every window of `windowing` through the stitcher, each window's output being `truth` at its voxels
    /// (garbage past the border), mirrored as a network fed the mirrored input would return it.
    static func stitch(_ windowing: SlidingWindow, classes: Int, blend: BlendMode, mirrorings: [MirrorAxes]) -> [Float] {
        let stitcher = Stitcher(windowing: windowing, classes: classes, blend: blend)
        let w = windowing.window, v = windowing.volume
        var window = [Float](repeating: 0, count: w.volume * classes)
        var result = [Float](repeating: -1, count: v.volume * classes)
        for row in 0..<windowing.rows.count {
            for origin in windowing.origins(inRow: row) {
                for axes in mirrorings {
                    for i in 0..<w.x { for j in 0..<w.y { for k in 0..<w.z { for c in 0..<classes {
                        // The network's output at window voxel (i, j, k) for the mirrored input is the truth at the
                        // mirrored position.
                        let (mi, mj, mk) = (axes.contains(.x) ? w.x - 1 - i : i, axes.contains(.y) ? w.y - 1 - j : j,
                                            axes.contains(.z) ? w.z - 1 - k : k)
                        let (gx, gy, gz) = (origin.x + mi, origin.y + mj, origin.z + mk)
                        let inside = gx < v.x && gy < v.y && gz < v.z
                        window[((i * w.y + j) * w.z + k) * classes + c] = inside ? truth(gx, gy, gz, c) : 1e6
                    } } } }
                    window.withUnsafeBufferPointer {
                        stitcher.add($0.baseAddress!, at: origin, mirrored: axes, scale: 1 / Float(mirrorings.count))
                    }
                }
            }
            stitcher.finishRow { x, plane in
                for p in 0..<(v.y * v.z * classes) { result[x * v.y * v.z * classes + p] = plane[p] }
            }
        }
        #expect(stitcher.isFinished)
        return result
    }

    /// Largest |result − truth|; +infinity when any stitched value is NaN or infinite.
    static func worst(_ result: [Float], _ v: Extent3, classes: Int) -> Double {
        var truths = [Float]()
        truths.reserveCapacity(result.count)
        for x in 0..<v.x { for y in 0..<v.y { for z in 0..<v.z { for c in 0..<classes {
            truths.append(truth(x, y, z, c))
        } } } }
        return worstAbsoluteDifference(result, truths)
    }

    @Test(arguments: BlendMode.allCases)
    func consistentWindowsStitchToTheDirectResult(blend: BlendMode) {
        let windowing = SlidingWindow(volume: Extent3(37, 29, 23), window: Extent3(16, 16, 16), overlap: 0.5)
        let result = Self.stitch(windowing, classes: 3, blend: blend, mirrorings: [[]])
        #expect(Self.worst(result, windowing.volume, classes: 3) < 2e-6)
    }

    @Test func mirroredWindowsLandUnmirrored() {
        let windowing = SlidingWindow(volume: Extent3(21, 19, 18), window: Extent3(16, 16, 16), overlap: 0.25)
        let result = Self.stitch(windowing, classes: 2, blend: .gaussian, mirrorings: MirrorAxes.allCombinations)
        #expect(Self.worst(result, windowing.volume, classes: 2) < 2e-6)
    }

    @Test func aWindowLargerThanTheVolumeReturnsTheVolumeShape() {
        // 240×240×155, BraTS' original shape, with windows whose z edge (160) passes the border.
        let windowing = SlidingWindow(volume: Extent3(24, 24, 155), window: Extent3(16, 16, 160), overlap: 0.5)
        #expect(windowing.starts[2] == [0])
        let result = Self.stitch(windowing, classes: 1, blend: .gaussian, mirrorings: [[]])
        #expect(result.count == 24 * 24 * 155)
        #expect(Self.worst(result, windowing.volume, classes: 1) < 2e-6)
    }

    @Test(arguments: BlendMode.allCases)
    func weightsArePositiveAndNormaliseExactlyAtBorders(blend: BlendMode) {
        let windowing = SlidingWindow(volume: Extent3(45, 40, 33), window: Extent3(32, 16, 16), overlap: 0.5)
        let weights = BlendWeights(mode: blend, windowing: windowing)
        #expect(weights.axis.allSatisfy { $0.allSatisfy { $0 > 0 } })
        #expect(weights.coverage.allSatisfy { $0.allSatisfy { $0 > 0 } })
        // Uniform predictions of 1: the stitched value is the weights' sum divided by the normaliser.
        let stitcher = Stitcher(windowing: windowing, classes: 1, blend: blend)
        let ones = [Float](repeating: 1, count: windowing.window.volume)
        var worst = 0.0, planes = 0
        for row in 0..<windowing.rows.count {
            for origin in windowing.origins(inRow: row) { ones.withUnsafeBufferPointer { stitcher.add($0.baseAddress!, at: origin) } }
            stitcher.finishRow { _, plane in
                planes += 1
                let difference = finiteMaximum((0..<(40 * 33)).map { abs(plane[$0] - 1) })
                worst = max(worst, difference)
            }
        }
        #expect(planes == 45)
        #expect(worst < 1e-6)
    }

    @Test func gaussianWeightsPeakAtTheCentreWithSigmaAnEighthOfTheWindow() {
        let weights = BlendWeights(mode: .gaussian, windowing: SlidingWindow(volume: Extent3(64, 64, 64), window: Extent3(64, 64, 64), overlap: 0.5))
        let axis = weights.axis[0]
        // Centre between samples 31 and 32, σ = 8, so 2σ² = 128: sample 31 is 0.5 from the centre, sample 39 is 7.5.
        let peak = Double(exp(-0.25 / 128.0))
        #expect(abs(Double(axis[31]) - peak) < 1e-6)
        #expect(abs(Double(axis[39]) / Double(axis[31]) - exp(-(56.25 - 0.25) / 128.0)) < 1e-5)
    }
}
