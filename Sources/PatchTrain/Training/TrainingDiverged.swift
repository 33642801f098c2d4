/// A training step whose loss, or whose updated weights, are not finite numbers (NaN or ±infinity): the run stops
/// there, and nothing from that step or after is saved, so `last/` and `best/` keep the last good checkpoint.
struct TrainingDiverged: Error, Sendable, CustomStringConvertible {
    /// The step that diverged (1-based: the step that would have completed).
    let step: Int
    /// What was not finite.
    let reason: String
    /// The learning rate the step used.
    let learningRate: Float

    init(step: Int, reason: String, learningRate: Float) {
        self.step = step
        self.reason = reason
        self.learningRate = learningRate
    }

    var description: String {
        "training diverged at step \(step): \(reason) (learning rate \(learningRate)); try a lower --lr"
    }
}
