/// Adam over the fp32 master weights, with bias correction (Kingma & Ba; the update of both Keras and PyTorch).
///
/// Defaults: learning rate 1e-4 (the Keras user's), β₁ 0.9, β₂ 0.999, ε 1e-8 (PyTorch's; Keras uses 1e-7,
/// a difference that matters only where the second moment is near zero). The accumulated gradients are
/// divided by `accumulationSteps`, so the update uses the mean over the micro-batches.
public struct Adam: Hashable, Codable, Sendable {
    public var learningRate: Float = 1e-4
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    /// Updates applied so far (for bias correction; saved with checkpoints).
    public var step: Int = 0

    public init(learningRate: Float = 1e-4, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// Applies one update from the gradients accumulated over `accumulationSteps` micro-batches, then zeroes them.
    public mutating func update(_ store: ParameterStore, accumulationSteps: Int = 1, learningRate rate: Float? = nil) {
        step += 1
        let lr = rate ?? learningRate
        // Bias corrections in Double: 1 - β₂ᵗ loses digits in Float for small t.
        let correction1 = 1 - pow(Double(beta1), Double(step))
        let correction2 = 1 - pow(Double(beta2), Double(step))
        let stepSize = Float(Double(lr) / correction1)
        let rootCorrection2 = Float(correction2.squareRoot())
        let scale = 1 / Float(accumulationSteps)
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        let w = store.values, g = store.gradients, m = store.firstMoments, v = store.secondMoments
        for i in 0..<store.trainableCount {
            let grad = g[i] * scale
            m[i] = b1 * m[i] + (1 - b1) * grad
            v[i] = b2 * v[i] + (1 - b2) * grad * grad
            // PyTorch's form: w -= lr/c1 · m / (√v/√c2 + ε).
            w[i] -= stepSize * m[i] / (v[i].squareRoot() / rootCorrection2 + eps)
        }
        store.zeroGradients()
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
