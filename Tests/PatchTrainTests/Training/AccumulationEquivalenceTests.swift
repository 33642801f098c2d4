import Foundation
import Testing
@testable import PatchTrain

/// Is accumulating two micro-batches of one (and dividing by two, as Adam does) the same as one micro-batch of
/// two? Only if the loss is a mean of per-sample terms and no layer mixes samples: cross-entropy with instance
/// norm, yes (up to fp32 summation order); batch Dice (sums over batch and space before the ratio) or batch norm
/// (statistics over the batch), no. docs/memory-model.md, "Gradient accumulation", explains why.
@Suite(.serialized, .kernelExclusive) struct AccumulationEquivalenceTests {
    static let patch = Extent3(16, 16, 16)

    /// Two different samples: smooth-ish images and labels with a blob whose size differs between the samples.
    static func sample(_ index: Int) -> (image: [Float16], labels: [UInt8]) {
        var generator = SeededGenerator(seed: 40 + UInt64(index))
        var image: [Float16] = [], labels: [UInt8] = []
        let radius = index == 0 ? 4.0 : 6.5
        for x in 0..<16 {
            for y in 0..<16 {
                for z in 0..<16 {
                    let d = (Double((x - 8) * (x - 8) + (y - 7) * (y - 7) + (z - 8) * (z - 8))).squareRoot()
                    let inside = d < radius
                    labels.append(inside ? 1 : 0)
                    image.append(Float16((inside ? 1.0 : 0.0) + 0.3 * generator.nextGaussian() + Double(index) * 0.2))
                }
            }
        }
        return (image, labels)
    }

    /// The mean gradient of `samples` taken as micro-batches of `microBatch`, every parameter in one array.
    static func meanGradient(normalization: NormalizationKind, loss: SegmentationLoss, microBatch: Int,
                             samples: [(image: [Float16], labels: [UInt8])]) throws -> [Float] {
        let graph = LayerGraph(configuration: TinyTraining.configuration(classes: 2, normalization: normalization), patch: patch,
                               microBatch: microBatch)
        let store = ParameterStore(specs: graph.parameters)
        WeightInitializer.initialize(store, seed: 12)
        let executor = try Executor(graph: graph, layout: ArenaLayout(graph: graph), parameters: store)
        executor.loss = loss
        let steps = samples.count / microBatch
        for s in 0..<steps {
            let chunk = samples[(s * microBatch)..<((s + 1) * microBatch)]
            let image = chunk.flatMap(\.image), labels = chunk.flatMap(\.labels)
            _ = image.withUnsafeBufferPointer { i in
                labels.withUnsafeBufferPointer { l in executor.trainStep(image: i.baseAddress!, labels: l.baseAddress!) }
            }
        }
        return (0..<store.trainableCount).map { store.gradients[$0] / Float(steps) }
    }

    /// max |accumulated − whole| / max |whole| over every parameter gradient.
    static func relativeDifference(_ normalization: NormalizationKind, _ loss: SegmentationLoss,
                                   samples: [(image: [Float16], labels: [UInt8])]) throws -> Double {
        let whole = try meanGradient(normalization: normalization, loss: loss, microBatch: 2, samples: samples)
        let accumulated = try meanGradient(normalization: normalization, loss: loss, microBatch: 1, samples: samples)
        let scale = finiteMaximum(whole.map { abs($0) })
        let difference = worstAbsoluteDifference(whole, accumulated)
        return difference / scale
    }

    @Test func crossEntropyWithInstanceNormAccumulatesExactly() throws {
        let samples = [AccumulationEquivalenceTests.sample(0), AccumulationEquivalenceTests.sample(1)]
        let exact = try AccumulationEquivalenceTests.relativeDifference(.instance, .crossEntropy, samples: samples)
        // Only fp32 sums in another order (measured: 3e-8); fp16 activations could round the other way at a voxel.
        #expect(exact < 1e-5, "CE + instance norm: \(exact)")

        // Batch Dice and batch norm each mix the two samples: well beyond rounding.
        let dice = try AccumulationEquivalenceTests.relativeDifference(.instance, .dice, samples: samples)
        let batchNorm = try AccumulationEquivalenceTests.relativeDifference(.batch, .crossEntropy, samples: samples)
        let both = try AccumulationEquivalenceTests.relativeDifference(.batch, .dice, samples: samples)
        print("accumulation vs micro-batch 2, relative gradient difference: CE+IN \(exact), Dice+IN \(dice), CE+BN \(batchNorm), Dice+BN \(both)")
        #expect(dice > 1000 * exact && dice > 1e-2, "Dice + instance norm: \(dice)")
        #expect(batchNorm > 1000 * exact && batchNorm > 1e-2, "CE + batch norm: \(batchNorm)")
        #expect(both > 1000 * exact && both > 1e-2, "Dice + batch norm: \(both)")
    }

    /// The theory's prediction: the difference comes only from mixing different samples. With the same sample
    /// twice, batch sums are twice one sample's (Dice's ratio is unchanged but for its 1e-6 smoothing) and batch
    /// statistics are one sample's, so even Dice with batch norm accumulates exactly.
    @Test func withTheSameSampleTwiceEvenBatchDiceAndBatchNormAgree() throws {
        let twice = [AccumulationEquivalenceTests.sample(1), AccumulationEquivalenceTests.sample(1)]
        let difference = try AccumulationEquivalenceTests.relativeDifference(.batch, .dice, samples: twice)
        print("Dice + batch norm, the same sample twice: \(difference)")
        #expect(difference < 1e-5, "Dice + batch norm on a duplicated sample: \(difference)")
    }
}
