/// Random changes applied to each sampled patch, on the prefetcher's thread, so the network does not see the
/// same voxels twice:
///
/// - a mirror flip along each axis with probability `flipProbability` (0.5), image and labels together;
/// - intensity `v · s + t · σ_c` with `s ~ U(scale)` (0.9…1.1), `t ~ U(−shift, shift)` (±0.1) and `σ_c` the
///   standard deviation of channel `c` over the patch. Scaling the shift by the patch's own spread makes it mean
///   the same on z-scored images and on raw scanner intensities (a plain ±0.1 would be nothing on values in the
///   thousands); a constant patch (σ = 0, e.g. all background) is not shifted. Every voxel is changed, zero
///   padding included, and the result is rounded back to fp16.
///
/// Each patch consumes exactly five numbers from the augmentation generator (three coins, the scale, the shift),
/// whatever they turn out to be, so the sequence never depends on earlier outcomes and a checkpoint can save it.
public struct Augmentation: Sendable, Codable, Equatable {
    public var flipProbability: Double
    public var scale: ClosedRange<Double>
    public var shift: Double

    /// The defaults `fit` uses unless `--no-augment`.
    public static let standard = Augmentation(flipProbability: 0.5, scale: 0.9...1.1, shift: 0.1)

    public init(flipProbability: Double, scale: ClosedRange<Double>, shift: Double) {
        precondition((0...1).contains(flipProbability) && scale.lowerBound > 0 && shift >= 0, "bad augmentation settings")
        self.flipProbability = flipProbability
        self.scale = scale
        self.shift = shift
    }

    /// What one patch gets.
    public struct Draw: Sendable, Equatable {
        /// Flip along x, y, z.
        public var flips: [Bool]
        public var scale: Double
        /// In units of each channel's standard deviation over the patch.
        public var shift: Double

        public init(flips: [Bool], scale: Double, shift: Double) {
            precondition(flips.count == 3, "one flip per axis")
            self.flips = flips
            self.scale = scale
            self.shift = shift
        }
    }

    /// The next patch's draw; always five numbers from `generator`.
    public func draw(_ generator: inout SeededGenerator) -> Draw {
        let flips = (0..<3).map { _ in generator.nextUnit() < flipProbability }
        let scale = self.scale.lowerBound + generator.nextUnit() * (self.scale.upperBound - self.scale.lowerBound)
        let shift = (generator.nextUnit() * 2 - 1) * self.shift
        return Draw(flips: flips, scale: scale, shift: shift)
    }

    /// Applies `draw` to `patch` in place.
    public static func apply(_ draw: Draw, to patch: Patch) {
        for axis in 0..<3 where draw.flips[axis] {
            flip(patch.image.baseAddress!, extent: patch.extent, channels: patch.channels, axis: axis)
            flip(patch.labels.baseAddress!, extent: patch.extent, channels: 1, axis: axis)
        }
        if draw.scale != 1 || draw.shift != 0 { adjustIntensity(patch, scale: draw.scale, shift: draw.shift) }
    }

    /// Mirrors a `(x, y, z, c)` array along one axis by swapping runs of `c` values (a voxel's channels stay together).
    static func flip<T>(_ values: UnsafeMutablePointer<T>, extent: Extent3, channels c: Int, axis: Int) {
        let (nx, ny, nz) = (extent.x, extent.y, extent.z)
        func swapVoxels(_ a: Int, _ b: Int) {
            for k in 0..<c { swap(&values[a * c + k], &values[b * c + k]) }
        }
        for x in 0..<(axis == 0 ? nx / 2 : nx) {
            for y in 0..<(axis == 1 ? ny / 2 : ny) {
                for z in 0..<(axis == 2 ? nz / 2 : nz) {
                    let (mx, my, mz) = (axis == 0 ? nx - 1 - x : x, axis == 1 ? ny - 1 - y : y, axis == 2 ? nz - 1 - z : z)
                    swapVoxels((x * ny + y) * nz + z, (mx * ny + my) * nz + mz)
                }
            }
        }
    }

    /// `v · scale + shift · σ_c`, per channel; σ in Double over the patch (fp16 values, so no overflow).
    static func adjustIntensity(_ patch: Patch, scale: Double, shift: Double) {
        let c = patch.channels, voxels = patch.extent.volume
        let image = patch.image.baseAddress!
        for channel in 0..<c {
            var sum = 0.0, squares = 0.0
            for v in 0..<voxels {
                let value = Double(image[v * c + channel])
                sum += value
                squares += value * value
            }
            let mean = sum / Double(voxels)
            let deviation = max(squares / Double(voxels) - mean * mean, 0).squareRoot()
            let (s, t) = (Float(scale), Float(shift * deviation))
            for v in 0..<voxels {
                image[v * c + channel] = Float16(Float(image[v * c + channel]) * s + t)
            }
        }
    }
}
