import Foundation
import Testing
@testable import PatchTrain

/// The definitions, in fp64: softmax over channels, then torch_unet.py's dice_loss (smooth 1e-6) and/or the mean
/// cross-entropy.
private func referenceLoss(_ logits: [Double], labels: [UInt8], classes: Int, loss: SegmentationLoss) -> Double {
    let voxels = labels.count
    var inter = [Double](repeating: 0, count: classes), sumP = inter, sumT = inter, ce = 0.0
    for v in 0..<voxels {
        let z = logits[(v * classes)..<(v * classes + classes)]
        let top = z.max()!
        let e = z.map { exp($0 - top) }
        let total = e.reduce(0, +)
        for c in 0..<classes {
            let p = e[c] / total, t = Int(labels[v]) == c ? 1.0 : 0.0
            inter[c] += p * t; sumP[c] += p; sumT[c] += t
            if t == 1 { ce -= log(p) }
        }
    }
    var diceSum = 0.0
    for c in 0..<classes {
        let numerator: Double = 2 * inter[c] + 1e-6
        let denominator: Double = sumP[c] + sumT[c] + 1e-6
        diceSum += numerator / denominator
    }
    let diceLoss = 1 - diceSum / Double(classes)
    switch loss {
    case .dice: return diceLoss
    case .crossEntropy: return ce / Double(voxels)
    case .diceCrossEntropy: return diceLoss + ce / Double(voxels)
    }
}

@Suite(.kernelExclusive) struct SoftmaxLossTests {
    let batch = 2, extent = Extent3(2, 3, 2), classes = 3

    @Test(arguments: SegmentationLoss.allCases)
    func lossAndLogitGradientMatchDefinitionAndFiniteDifferences(loss: SegmentationLoss) {
        var r = TestRandom(seed: 12)
        let voxels = batch * extent.volume
        let logits = r.array(voxels * classes, -3, 3)
        let labels = (0..<voxels).map { _ in UInt8(r.next() % 3) }
        let kernel = SoftmaxLoss(loss: loss, batch: batch, extent: extent, classes: classes)
        let z = OwnedTensor(batch: batch, extent: extent, channels: classes, element: .float32, values: logits)
        let dz = OwnedTensor(batch: batch, extent: extent, channels: classes, element: .float32)
        let ws = Workspace(floats: kernel.workspaceFloats)
        let value = kernel.evaluate(logits: z.view, labels: labels, logitGradient: dz.view, workspace: ws.pointer)
        let want = referenceLoss(logits.map(Double.init), labels: labels, classes: classes, loss: loss)
        // fp32 softmax, fp64 sums: the loss agrees to fp32 precision.
        #expect(abs(value - want) <= 1e-6 * max(1, abs(want)))
        let h = 1e-6
        let fd = (0..<logits.count).map { i -> Double in
            var p = logits.map(Double.init), m = p
            p[i] += h; m[i] -= h
            return (referenceLoss(p, labels: labels, classes: classes, loss: loss)
                - referenceLoss(m, labels: labels, classes: classes, loss: loss)) / (2 * h)
        }
        // Gradients here are ~1e-2; fp32 probabilities carry ~1e-7 relative error, FD in fp64 ~1e-9.
        #expect(worstError(dz.values, fd, atol: 1e-6, rtol: 1e-4) <= 1)
    }

    @Test func probabilitiesSumToOne() {
        var r = TestRandom(seed: 13)
        let kernel = SoftmaxLoss(loss: .dice, batch: batch, extent: extent, classes: classes)
        let z = OwnedTensor(batch: batch, extent: extent, channels: classes, element: .float16,
                            values: r.array(batch * extent.volume * classes, -8, 8))
        let p = OwnedTensor(batch: batch, extent: extent, channels: classes, element: .float32)
        let ws = Workspace(floats: kernel.workspaceFloats)
        kernel.probabilities(logits: z.view, into: p.view, workspace: ws.pointer)
        let values = p.values
        for v in 0..<(batch * extent.volume) {
            #expect(abs(values[(v * classes)..<(v * classes + classes)].reduce(0, +) - 1) < 1e-6)
        }
    }
}
