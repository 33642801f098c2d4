/// Which statistics a fused normalisation + ReLU uses.
public enum NormalizationKind: String, Sendable, Codable {
    /// One mean/variance per channel over batch and space; running averages for inference.
    case batch
    /// One mean/variance per sample and channel over space, in training and inference alike (no running stats).
    case instance
}

/// BatchNorm or InstanceNorm fused with ReLU, around a stored raw convolution output `y`.
///
/// The forward pass stores nothing of size: it measures the statistics and produces the per-channel `scale` and
/// `shift` with which every consumer reads `a = max(0, y · scale + shift)` (see `NormalizedReLU`). The backward pass
/// re-reads `y`, recomputes the ReLU mask from the same scale/shift, and turns `dL/da` into `dL/dy`, `dL/dγ`, `dL/dβ`.
///
/// Defaults follow Keras' `BatchNormalization`: `epsilon = 1e-3`, `momentum = 0.99`, meaning
/// `running = 0.99 · running + 0.01 · batch` (PyTorch calls the same thing `momentum=0.01`). The running variance
/// takes the unbiased batch variance (× M/(M−1)), as PyTorch does, because checkpoints are exchanged with PyTorch.
/// Statistics and gradient sums accumulate in fp64: they run over up to millions of voxels.
public struct Normalization: Sendable {
    public let kind: NormalizationKind
    public let batch: Int
    public let extent: Extent3
    public let channels: Int
    public let epsilon: Float
    public let momentum: Float

    /// Voxels read per step; bounds the workspace.
    public static let chunkVoxels = 4096

    public init(kind: NormalizationKind, batch: Int, extent: Extent3, channels: Int,
                epsilon: Float = 1e-3, momentum: Float = 0.99) {
        self.kind = kind
        self.batch = batch
        self.extent = extent
        self.channels = channels
        self.epsilon = epsilon
        self.momentum = momentum
    }

    /// Sets of statistics: one for BatchNorm, one per sample for InstanceNorm.
    public var groups: Int { kind == .batch ? 1 : batch }
    /// Length of the mean, inverse-std, scale and shift arrays: `groups · channels`.
    public var statisticsCount: Int { groups * channels }
    /// Elements each statistic is taken over.
    public var elementsPerStatistic: Int { kind == .batch ? batch * extent.volume : extent.volume }

    private var chunk: Int { min(Self.chunkVoxels, extent.volume) }

    /// Two fp32 chunks and two fp64 sums per statistic.
    public var workspaceFloats: Int { 2 * chunk * channels + 4 * statisticsCount }

    public static func workspaceBytes(kind: NormalizationKind, batch: Int, extent: Extent3, channels: Int) -> Int {
        Normalization(kind: kind, batch: batch, extent: extent, channels: channels).workspaceFloats * 4
    }

    /// The map consumers read the activation through, over `scale`/`shift` arrays filled by this layer.
    public func transform(scale: UnsafePointer<Float>, shift: UnsafePointer<Float>) -> NormalizedReLU {
        NormalizedReLU(scale: scale, shift: shift, sampleStride: kind == .batch ? 0 : channels)
    }

    /// Training forward: measures mean and inverse standard deviation of `raw` (kept for backward), fills
    /// `scale = γ·invStd` and `shift = β − mean·scale`, and (BatchNorm, when given) updates the running averages.
    /// InstanceNorm uses this in inference too (its statistics always come from the sample).
    public func trainingForward(raw: ActivationTensor, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                                mean: UnsafeMutablePointer<Float>, inverseStd: UnsafeMutablePointer<Float>,
                                scale: UnsafeMutablePointer<Float>, shift: UnsafeMutablePointer<Float>,
                                runningMean: UnsafeMutablePointer<Float>? = nil,
                                runningVariance: UnsafeMutablePointer<Float>? = nil,
                                workspace: UnsafeMutableRawPointer) {
        check(raw)
        let (values, _, sums) = split(workspace)
        let sum = sums, squares = sums + statisticsCount
        sum.update(repeating: 0, count: statisticsCount)
        squares.update(repeating: 0, count: statisticsCount)
        forEachChunk { sample, first, count in
            raw.read(at: first * channels, count: count * channels, into: values)
            let g = kind == .batch ? 0 : sample * channels
            for v in 0..<count {
                for c in 0..<channels {
                    let y = Double(values[v * channels + c])
                    sum[g + c] += y
                    squares[g + c] += y * y
                }
            }
        }
        let m = Double(elementsPerStatistic)
        for s in 0..<statisticsCount {
            let mu = sum[s] / m, variance = max(0, squares[s] / m - mu * mu)
            mean[s] = Float(mu)
            inverseStd[s] = Float(1 / (variance + Double(epsilon)).squareRoot())
            if kind == .batch, let runningMean, let runningVariance {
                let unbiased = m > 1 ? variance * m / (m - 1) : variance
                runningMean[s] = momentum * runningMean[s] + (1 - momentum) * Float(mu)
                runningVariance[s] = momentum * runningVariance[s] + (1 - momentum) * Float(unbiased)
            }
        }
        fillTransform(gamma: gamma, beta: beta, mean: mean, inverseStd: inverseStd, scale: scale, shift: shift)
    }

    /// BatchNorm inference: scale and shift from the running averages.
    public func inferenceTransform(gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                                   runningMean: UnsafePointer<Float>, runningVariance: UnsafePointer<Float>,
                                   scale: UnsafeMutablePointer<Float>, shift: UnsafeMutablePointer<Float>) {
        precondition(kind == .batch, "InstanceNorm has no running statistics; use trainingForward")
        for c in 0..<channels {
            scale[c] = gamma[c] / (runningVariance[c] + epsilon).squareRoot()
            shift[c] = beta[c] - runningMean[c] * scale[c]
        }
    }

    /// From `dL/da` (a = the activation consumers read) to `dL/dy` (written to `rawGradient`), adding `dL/dγ` and
    /// `dL/dβ` to the given accumulators. Needs the statistics and transform of `trainingForward`.
    public func backward(raw: ActivationTensor, activationGradient: ActivationTensor,
                         gamma: UnsafePointer<Float>, mean: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>,
                         scale: UnsafePointer<Float>, shift: UnsafePointer<Float>,
                         rawGradient: ActivationTensor,
                         gammaGradient: UnsafeMutablePointer<Float>, betaGradient: UnsafeMutablePointer<Float>,
                         workspace: UnsafeMutableRawPointer) {
        check(raw)
        check(activationGradient)
        check(rawGradient)
        let (values, gradients, sums) = split(workspace)
        let sumGradient = sums, sumGradientNormalized = sums + statisticsCount
        sumGradient.update(repeating: 0, count: statisticsCount)
        sumGradientNormalized.update(repeating: 0, count: statisticsCount)
        // Pass 1: Σ dz and Σ dz·x̂ per statistic, with dz = dL/da where the ReLU let the value through.
        forEachChunk { sample, first, count in
            raw.read(at: first * channels, count: count * channels, into: values)
            activationGradient.read(at: first * channels, count: count * channels, into: gradients)
            let g = kind == .batch ? 0 : sample * channels
            for v in 0..<count {
                for c in 0..<channels {
                    let i = v * channels + c, s = g + c
                    let y = values[i]
                    guard y * scale[s] + shift[s] > 0 else { continue }
                    let dz = Double(gradients[i])
                    sumGradient[s] += dz
                    sumGradientNormalized[s] += dz * Double((y - mean[s]) * inverseStd[s])
                }
            }
        }
        let m = Double(elementsPerStatistic)
        for g in 0..<groups {
            for c in 0..<channels {
                gammaGradient[c] += Float(sumGradientNormalized[g * channels + c])
                betaGradient[c] += Float(sumGradient[g * channels + c])
            }
        }
        // Pass 2: dy = γ·invStd·(dz − mean(dz) − x̂·mean(dz·x̂)).
        forEachChunk { sample, first, count in
            raw.read(at: first * channels, count: count * channels, into: values)
            activationGradient.read(at: first * channels, count: count * channels, into: gradients)
            let g = kind == .batch ? 0 : sample * channels
            for v in 0..<count {
                for c in 0..<channels {
                    let i = v * channels + c, s = g + c
                    let y = values[i]
                    let dz = y * scale[s] + shift[s] > 0 ? gradients[i] : 0
                    let normalized = (y - mean[s]) * inverseStd[s]
                    let meanGradient = Float(sumGradient[s] / m), meanProduct = Float(sumGradientNormalized[s] / m)
                    gradients[i] = gamma[c] * inverseStd[s] * (dz - meanGradient - normalized * meanProduct)
                }
            }
            rawGradient.write(gradients, at: first * channels, count: count * channels)
        }
    }

    private func fillTransform(gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                               inverseStd: UnsafePointer<Float>, scale: UnsafeMutablePointer<Float>,
                               shift: UnsafeMutablePointer<Float>) {
        for g in 0..<groups {
            for c in 0..<channels {
                let s = g * channels + c
                scale[s] = gamma[c] * inverseStd[s]
                shift[s] = beta[c] - mean[s] * scale[s]
            }
        }
    }

    private func split(_ workspace: UnsafeMutableRawPointer)
        -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Double>) {
        let floats = workspace.bindMemory(to: Float.self, capacity: 2 * chunk * channels)
        let doubles = (workspace + 8 * chunk * channels).bindMemory(to: Double.self, capacity: 2 * statisticsCount)
        return (floats, floats + chunk * channels, doubles)
    }

    /// Runs of at most `chunkVoxels` voxels that never cross a sample boundary: (sample, first voxel overall, count).
    private func forEachChunk(_ body: (Int, Int, Int) -> Void) {
        for sample in 0..<batch {
            var voxel = 0
            while voxel < extent.volume {
                let count = min(chunk, extent.volume - voxel)
                body(sample, sample * extent.volume + voxel, count)
                voxel += count
            }
        }
    }

    private func check(_ t: ActivationTensor) {
        precondition(t.batch == batch && t.extent == extent && t.channels == channels, "normalisation shape mismatch")
    }
}
