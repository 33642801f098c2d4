import Foundation

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

    /// Threads the passes over the data are split across (each sums its own chunks; partials are added in fp64).
    public static let workers = 2

    /// Per worker two fp32 chunks and two fp64 sums per statistic; then three fp32 coefficients per statistic.
    private var workerFloats: Int { 2 * chunk * channels + 4 * statisticsCount }
    public var workspaceFloats: Int { Self.workers * workerFloats + 3 * statisticsCount }

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
        forEachChunk(workspace) { values, _, sums, sample, first, count in
            let sum = sums, squares = sums + statisticsCount
            raw.read(at: first * channels, count: count * channels, into: values)
            let g = kind == .batch ? 0 : sample * channels
            if channels % 16 == 0 {
                Self.addSums(values, count: count, channels: channels, sum: sum + g, squares: squares + g)
                return
            }
            for v in 0..<count {
                for c in 0..<channels {
                    let y = Double(values[v * channels + c])
                    sum[g + c] += y
                    squares[g + c] += y * y
                }
            }
        }
        let totals = reduceWorkerSums(workspace)
        let sum = totals, squares = totals + statisticsCount
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
        // Pass 1: Σ dz and Σ dz·x̂ per statistic, with dz = dL/da where the ReLU let the value through.
        forEachChunk(workspace) { values, gradients, sums, sample, first, count in
            let sumGradient = sums, sumGradientNormalized = sums + statisticsCount
            raw.read(at: first * channels, count: count * channels, into: values)
            activationGradient.read(at: first * channels, count: count * channels, into: gradients)
            let g = kind == .batch ? 0 : sample * channels
            if channels % 16 == 0 {
                Self.addGradientSums(values: values, gradients: gradients, count: count, channels: channels,
                                     scale: scale + g, shift: shift + g, mean: mean + g, inverseStd: inverseStd + g,
                                     sumGradient: sumGradient + g, sumGradientNormalized: sumGradientNormalized + g)
                return
            }
            for v in 0..<count {
                for c in 0..<channels {
                    let i = v * channels + c, s = g + c
                    let y = values[i]
                    let dz = y * scale[s] + shift[s] > 0 ? gradients[i] : 0
                    sumGradient[s] += Double(dz)
                    sumGradientNormalized[s] += Double(dz * ((y - mean[s]) * inverseStd[s]))
                }
            }
        }
        let totals = reduceWorkerSums(workspace)
        let sumGradient = totals, sumGradientNormalized = totals + statisticsCount
        let m = Double(elementsPerStatistic)
        for g in 0..<groups {
            for c in 0..<channels {
                gammaGradient[c] += Float(sumGradientNormalized[g * channels + c])
                betaGradient[c] += Float(sumGradient[g * channels + c])
            }
        }
        // Pass 2: dy = γ·invStd·(dz − mean(dz) − x̂·mean(dz·x̂)) = gain·(dz − mean(dz)) − slope·(y − μ), with the
        // per-statistic coefficients formed once. (dz − mean(dz) keeps the exact zero of a one-element statistic,
        // e.g. InstanceNorm at a 1³ bottleneck, where PyTorch's gradient is exactly zero too.)
        let coefficients = workspace.bindMemory(to: Float.self, capacity: workspaceFloats) + Self.workers * workerFloats
        let gain = coefficients, meanGradient = coefficients + statisticsCount, slope = coefficients + 2 * statisticsCount
        for g in 0..<groups {
            for c in 0..<channels {
                let s = g * channels + c
                let a = Double(gamma[c]) * Double(inverseStd[s])
                gain[s] = Float(a)
                meanGradient[s] = Float(sumGradient[s] / m)
                slope[s] = Float(a * Double(inverseStd[s]) * sumGradientNormalized[s] / m)
            }
        }
        forEachChunk(workspace) { values, gradients, _, sample, first, count in
            raw.read(at: first * channels, count: count * channels, into: values)
            activationGradient.read(at: first * channels, count: count * channels, into: gradients)
            let g = kind == .batch ? 0 : sample * channels
            let scale = scale + g, shift = shift + g, mean = mean + g
            let gain = gain + g, meanGradient = meanGradient + g, slope = slope + g
            if channels % 16 == 0 {
                Self.rewriteGradients(values: values, gradients: gradients, count: count, channels: channels, scale: scale,
                                      shift: shift, mean: mean, gain: gain, meanGradient: meanGradient, slope: slope)
                rawGradient.write(gradients, at: first * channels, count: count * channels)
                return
            }
            for v in 0..<count {
                let y = values + v * channels, d = gradients + v * channels
                for c in 0..<channels {
                    let dz = y[c] * scale[c] + shift[c] > 0 ? d[c] : 0
                    d[c] = gain[c] * (dz - meanGradient[c]) - slope[c] * (y[c] - mean[c])
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

    /// Runs of at most `chunkVoxels` voxels that never cross a sample boundary, dealt round-robin to the workers.
    /// Each worker gets its own two fp32 chunk buffers and fp64 sums (zeroed first), so the closure may accumulate
    /// into `sums` without synchronisation: (values, gradients, sums, sample, first voxel overall, count).
    private func forEachChunk(_ workspace: UnsafeMutableRawPointer,
                              _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                                       UnsafeMutablePointer<Double>, Int, Int, Int) -> Void) {
        var chunks = [(Int, Int, Int)]()
        for sample in 0..<batch {
            var voxel = 0
            while voxel < extent.volume {
                let count = min(chunk, extent.volume - voxel)
                chunks.append((sample, sample * extent.volume + voxel, count))
                voxel += count
            }
        }
        let stride = workerFloats, floats = chunk * channels, statistics = statisticsCount
        let workers = min(Self.workers, chunks.count)
        let base = workspace.bindMemory(to: Float.self, capacity: workspaceFloats)
        for w in 0..<Self.workers {
            (UnsafeMutableRawPointer(base + w * stride + 2 * floats)).bindMemory(to: Double.self, capacity: 2 * statistics)
                .update(repeating: 0, count: 2 * statistics)
        }
        withoutActuallyEscaping(body) { escapable in
            let shared = UncheckedSendableChunkBody(run: escapable)
            let list = chunks
            let work: (Int) -> Void = { w in
                let values = base + w * stride, gradients = values + floats
                let sums = UnsafeMutableRawPointer(gradients + floats).assumingMemoryBound(to: Double.self)
                var i = w
                while i < list.count {
                    shared.run(values, gradients, sums, list[i].0, list[i].1, list[i].2)
                    i += workers
                }
            }
            if workers > 1 {
                let task = UncheckedSendableClosure(run: work)
                DispatchQueue.concurrentPerform(iterations: workers) { task.run($0) }
            } else {
                work(0)
            }
        }
    }

    /// Adds every worker's fp64 sums into the first worker's and returns them.
    private func reduceWorkerSums(_ workspace: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Double> {
        let base = workspace.bindMemory(to: Float.self, capacity: workspaceFloats)
        func sums(_ w: Int) -> UnsafeMutablePointer<Double> {
            UnsafeMutableRawPointer(base + w * workerFloats + 2 * chunk * channels).assumingMemoryBound(to: Double.self)
        }
        let total = sums(0)
        for w in 1..<Self.workers {
            let partial = sums(w)
            for i in 0..<(2 * statisticsCount) { total[i] += partial[i] }
        }
        return total
    }

    private func check(_ t: ActivationTensor) {
        precondition(t.batch == batch && t.extent == extent && t.channels == channels, "normalisation shape mismatch")
    }
}

private struct UncheckedSendableChunkBody: @unchecked Sendable {
    let run: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Double>, Int, Int, Int) -> Void
}
