import Foundation

/// Per-axis window weights and, per axis of the volume, the sum of the weights of every window covering a plane.
///
/// Both blends are separable, `w(i, j, k) = wx(i)·wy(j)·wz(k)`, and the windows form a grid, so the total weight
/// a voxel receives is `Sx(x)·Sy(y)·Sz(z)` with `S(p) = Σ over starts s of w(p − s)`. Normalising therefore needs
/// three short arrays instead of a whole-volume weight accumulator.
struct BlendWeights: Sendable {
    let mode: BlendMode
    /// `axis[a][i]`: the weight of offset `i` inside the window along axis `a`; every value is > 0.
    let axis: [[Float]]
    /// `coverage[a][p]`: the summed weight that plane `p` of the volume receives along axis `a`; every value is > 0.
    let coverage: [[Float]]

    init(mode: BlendMode, windowing: SlidingWindow) {
        self.mode = mode
        let axis = (0..<3).map { BlendWeights.weights(mode: mode, length: windowing.window[$0]) }
        self.axis = axis
        coverage = (0..<3).map { a in
            // Summed in fp64: far from the centre a Gaussian weight is ~3e-4 of the peak.
            var sums = [Double](repeating: 0, count: windowing.volume[a])
            for start in windowing.starts[a] {
                for i in 0..<windowing.window[a] where start + i < windowing.volume[a] {
                    sums[start + i] += Double(axis[a][i])
                }
            }
            return sums.map { Float($0) }
        }
    }

    /// One axis of the blend. Gaussian: `exp(−(i − c)²/(2σ²))`, `c = (n − 1)/2`, `σ = n/8`, so the edge weight is
    /// about `e^−8 ≈ 3.4e−4` of the centre's — small but never zero, so every voxel keeps a defined average.
    static func weights(mode: BlendMode, length n: Int) -> [Float] {
        switch mode {
        case .constant:
            return [Float](repeating: 1, count: n)
        case .gaussian:
            let centre = Double(n - 1) / 2, sigma = Double(n) / 8
            return (0..<n).map { i in
                let d = Double(i) - centre
                return Float(max(exp(-d * d / (2 * sigma * sigma)), 1e-6))
            }
        }
    }
}
