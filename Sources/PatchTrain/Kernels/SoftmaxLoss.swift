import Foundation

/// The training objective on softmax probabilities over the class channel.
public enum SegmentationLoss: String, Sendable, Codable, CaseIterable {
    /// `1 − mean over classes of (2·Σ p·t + s) / (Σ p + Σ t + s)`, sums over batch and space, `s = 1e-6`
    /// (the reference `dice_loss`).
    case dice
    /// Mean over voxels of `−log p[label]`.
    case crossEntropy
    /// `dice + crossEntropy`, equally weighted.
    case diceCrossEntropy

    /// The short name `fit --loss` takes and a reproducing command writes: `dice`, `ce`, `dice+ce`.
    public var shortName: String {
        switch self {
        case .dice: return "dice"
        case .crossEntropy: return "ce"
        case .diceCrossEntropy: return "dice+ce"
        }
    }

    public init?(shortName: String) {
        guard let loss = SegmentationLoss.allCases.first(where: { $0.shortName == shortName }) else { return nil }
        self = loss
    }
}

/// Softmax over channels fused with the loss: reads logits (the 1×1×1 head's output), integer labels
/// `(batch, x, y, z)`, and returns the loss while writing `dL/dlogits`. Probabilities are never stored; they are
/// recomputed in the second pass. Sums over voxels accumulate in fp64. Workers take contiguous shares of the
/// voxels, each with its own chunks and partial sums (`forEachWorkerShare`); the shares are fixed by the shape, so
/// the sums' order, and the loss, are the same from run to run.
public struct SoftmaxLoss: Sendable {
    public let loss: SegmentationLoss
    public let batch: Int
    public let extent: Extent3
    public let classes: Int
    public let smooth: Double
    public let workers: Int

    public static let chunkVoxels = 4096

    public init(loss: SegmentationLoss, batch: Int, extent: Extent3, classes: Int, smooth: Double = 1e-6,
                workers: Int = 2) {
        precondition(classes >= 2 && classes <= 256, "classes must fit a uint8 label")
        self.loss = loss
        self.batch = batch
        self.extent = extent
        self.classes = classes
        self.smooth = smooth
        self.workers = max(1, min(workers, batch * extent.volume))
    }

    private var voxels: Int { batch * extent.volume }
    private var chunk: Int { min(Self.chunkVoxels, voxels) }

    /// Per worker a chunk of logits and of gradients, fp32.
    public var workspaceFloats: Int { workers * 2 * chunk * classes }

    public static func workspaceBytes(batch: Int, extent: Extent3, classes: Int, workers: Int = 2) -> Int {
        SoftmaxLoss(loss: .dice, batch: batch, extent: extent, classes: classes, workers: workers).workspaceFloats * 4
    }

    /// Probabilities of one chunk, written over the logits: each voxel's logits less their maximum, all of them
    /// exponentiated sixteen at a time, each voxel's divided by their sum.
    private func softmax(_ values: UnsafeMutablePointer<Float>, count: Int) {
        for v in 0..<count {
            let p = values + v * classes
            var top = p[0]
            for k in 1..<classes { top = max(top, p[k]) }
            for k in 0..<classes { p[k] -= top }
        }
        VectorExponential.exponentiate(values, count: count * classes)
        for v in 0..<count {
            let p = values + v * classes
            var total: Float = 0
            for k in 0..<classes { total += p[k] }
            let inverse = 1 / total
            for k in 0..<classes { p[k] *= inverse }
        }
    }

    /// Softmax probabilities into `probabilities` (for inference and tests).
    public func probabilities(logits: ActivationTensor, into probabilities: ActivationTensor,
                              workspace: UnsafeMutableRawPointer) {
        check(logits)
        check(probabilities)
        forEachChunk(workspace) { _, first, count, values in
            logits.read(at: first * classes, count: count * classes, into: values)
            softmax(values, count: count)
            probabilities.write(values, at: first * classes, count: count * classes)
        }
    }

    /// The loss; when `logitGradient` is given, also `dL/dlogits` (written, not added).
    public func evaluate(logits: ActivationTensor, labels: UnsafePointer<UInt8>, logitGradient: ActivationTensor?,
                         workspace: UnsafeMutableRawPointer) -> Double {
        check(logits)
        let (predicted, intersection, truth, crossEntropy) = classSums(logits: logits, labels: labels,
                                                                      workspace: workspace)
        let n = Double(voxels), k = Double(classes)
        let denominators = (0..<classes).map { predicted[$0] + truth[$0] + smooth }
        let dice = (0..<classes).map { (2 * intersection[$0] + smooth) / denominators[$0] }
        let useDice = loss != .crossEntropy, useCrossEntropy = loss != .dice
        var value = 0.0
        if useDice { value += 1 - dice.reduce(0, +) / k }
        if useCrossEntropy { value += crossEntropy / n }
        guard let logitGradient else { return value }
        check(logitGradient)
        // dL_dice/dp_c(v) = −(1/K)·(2·t_c(v)·D_c − (2I_c + s)) / D_c², with D_c the denominator; through the
        // softmax, dz_j = p_j·(g_j − Σ_c p_c·g_c). Cross-entropy adds (p_j − t_j)/N directly on the logits.
        let diceOnTruth = (0..<classes).map { Float(-(2 * denominators[$0] - (2 * intersection[$0] + smooth))
                                                    / (k * denominators[$0] * denominators[$0])) }
        let diceElsewhere = (0..<classes).map { Float((2 * intersection[$0] + smooth)
                                                      / (k * denominators[$0] * denominators[$0])) }
        let perVoxel = Float(1 / n)
        forEachChunk(workspace) { _, first, count, values in
            let gradients = values + chunk * classes
            logits.read(at: first * classes, count: count * classes, into: values)
            softmax(values, count: count)
            for v in 0..<count {
                let label = Int(labels[first + v]), p = values + v * classes, g = gradients + v * classes
                if useDice {
                    var weighted: Float = 0
                    for c in 0..<classes {
                        g[c] = c == label ? diceOnTruth[c] : diceElsewhere[c]
                        weighted += p[c] * g[c]
                    }
                    for c in 0..<classes { g[c] = p[c] * (g[c] - weighted) }
                } else {
                    for c in 0..<classes { g[c] = 0 }
                }
                if useCrossEntropy {
                    for c in 0..<classes { g[c] += (p[c] - (c == label ? 1 : 0)) * perVoxel }
                }
            }
            logitGradient.write(gradients, at: first * classes, count: count * classes)
        }
        return value
    }

    /// Pass 1 of `evaluate`: per class Σ p (predicted), Σ p·t (intersection) and Σ t (truth), and Σ −log p[label].
    private func classSums(logits: ActivationTensor, labels: UnsafePointer<UInt8>, workspace: UnsafeMutableRawPointer)
        -> (predicted: [Double], intersection: [Double], truth: [Double], crossEntropy: Double) {
        // Each chunk sums in fp32 (4096 voxels at most), then into its worker's fp64 totals
        // `[Σ p per class | Σ p at the label | voxels per label | cross-entropy]`, added up in worker order.
        let stride = 3 * classes + 1
        let totals = UnsafeMutablePointer<Double>.allocate(capacity: workers * stride)
        defer { totals.deallocate() }
        totals.initialize(repeating: 0, count: workers * stride)
        let needsLog = loss != .dice
        forEachChunk(workspace) { worker, first, count, values in
            logits.read(at: first * classes, count: count * classes, into: values)
            softmax(values, count: count)
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * classes) { partial in
                partial.initialize(repeating: 0)
                var chunkCrossEntropy = 0.0
                for v in 0..<count {
                    let label = Int(labels[first + v]), p = values + v * classes
                    precondition(label < classes, "label \(label) ≥ classes \(classes)")
                    for k in 0..<classes { partial[k] += p[k] }
                    partial[classes + label] += p[label]
                    partial[2 * classes + label] += 1
                    if needsLog { chunkCrossEntropy -= Double(log(max(p[label], .leastNormalMagnitude))) }
                }
                let total = totals + worker * stride
                for i in 0..<(3 * classes) { total[i] += Double(partial[i]) }
                total[3 * classes] += chunkCrossEntropy
            }
        }
        var intersection = [Double](repeating: 0, count: classes)
        var predicted = intersection, truth = intersection
        var crossEntropy = 0.0
        for worker in 0..<workers {
            let total = totals + worker * stride
            for k in 0..<classes {
                predicted[k] += total[k]
                intersection[k] += total[classes + k]
                truth[k] += total[2 * classes + k]
            }
            crossEntropy += total[3 * classes]
        }
        return (predicted, intersection, truth, crossEntropy)
    }

    /// Calls `body(worker, firstVoxel, voxelCount, values)` for every chunk, on the workers; `values` is the worker's
    /// slice of the workspace, a chunk of logits followed by a chunk of gradients.
    private func forEachChunk(_ workspace: UnsafeMutableRawPointer,
                              _ body: (Int, Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        let floats = workspace.bindMemory(to: Float.self, capacity: workspaceFloats)
        forEachWorkerShare(workers: workers, of: voxels) { worker, first, end in
            let values = floats + worker * 2 * chunk * classes
            forEachRun(of: end - first, length: chunk) { offset, count in body(worker, first + offset, count, values) }
        }
    }

    private func check(_ t: ActivationTensor) {
        precondition(t.batch == batch && t.extent == extent && t.channels == classes, "loss shape mismatch")
    }
}
