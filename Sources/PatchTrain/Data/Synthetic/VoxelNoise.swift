/// Per-voxel Gaussian acquisition noise as a pure function of a key and the voxel's index.
///
/// A counter-based hash rather than a stream of `SeededGenerator` draws, so that a voxel's noise does not depend
/// on which thread renders it or in what order: slabs can be rendered in any split and the bytes stay the same.
/// The key itself comes from the case's `SeededGenerator`.
struct VoxelNoise: Sendable {
    let key: UInt64

    /// SplitMix64's finaliser over the key and the index: 64 well-mixed bits per voxel.
    @inline(__always)
    func bits(_ index: Int) -> UInt64 {
        var z = key &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Approximately standard normal: the sum of the hash's four 16-bit lanes (Irwin–Hall, n = 4), centred and
    /// scaled to unit variance. Tails stop at ±3.46σ, which is immaterial for image noise and far cheaper than
    /// Box–Muller's log and cosine on millions of voxels.
    @inline(__always)
    func gaussian(_ index: Int) -> Float {
        let h = bits(index)
        let sum = (h & 0xFFFF) + ((h >> 16) & 0xFFFF) + ((h >> 32) & 0xFFFF) + (h >> 48)
        // Mean 4 · 32767.5; standard deviation sqrt(4 · (65536² − 1) / 12) ≈ 65536 / sqrt(3).
        return (Float(sum) - 131_070) * (1.0 / 37_837.23)
    }
}
