// The softmax over the logits with its tensors bound: probabilities for inference, and the loss whose gradient
// training starts its backward pass from. The loss kind is the executor's, read each step.

struct BoundSoftmax {
    let logits: ActivationTensor
    let batch: Int
    let workspace: UnsafeMutableRawPointer

    init(_ op: OperationSpec, logits: Int, binder b: OperationBinder) {
        self.logits = b.tensor(logits)
        batch = b.batch
        workspace = b.workspace(op)
    }

    private func kernel(_ loss: SegmentationLoss) -> SoftmaxLoss {
        SoftmaxLoss(loss: loss, batch: batch, extent: logits.extent, classes: logits.channels)
    }

    /// The class probabilities, written over the logits.
    func probabilities(loss: SegmentationLoss) {
        kernel(loss).probabilities(logits: logits, into: logits, workspace: workspace)
    }

    /// The loss of one micro-batch. The gradient overwrites the logits chunk by chunk, after each chunk's softmax
    /// is taken.
    func lossAndGradient(loss: SegmentationLoss, labels: UnsafePointer<UInt8>) -> Double {
        kernel(loss).evaluate(logits: logits, labels: labels, logitGradient: logits, workspace: workspace)
    }
}
