import Foundation
import Testing
@testable import PatchTrain

@Suite struct AdamTests {
    static let specs = [
        ParameterSpec(name: "a.weight", shape: [3, 2, 1, 1, 1], elementType: .float32, trainable: true),
        ParameterSpec(name: "a.running_mean", shape: [3], elementType: .float32, trainable: false),
        ParameterSpec(name: "a.bias", shape: [3], elementType: .float32, trainable: true),
        ParameterSpec(name: "a.num_batches_tracked", shape: [], elementType: .int64, trainable: false),
    ]

    @Test func trainableParametersComeFirstAndCountersStandApart() {
        let store = ParameterStore(specs: AdamTests.specs)
        #expect(store.trainableCount == 9)
        #expect(store.floatCount == 12)
        #expect(store.offsets[0] == 0 && store.offsets[2] == 6 && store.offsets[1] == 9 && store.offsets[3] == nil)
        #expect(store.counter("a.num_batches_tracked") == 0)
    }

    /// Five updates with two accumulated micro-batches each, against the textbook formula in Double.
    @Test func updatesMatchTheTextbookFormula() {
        let store = ParameterStore(specs: AdamTests.specs)
        var adam = Adam(learningRate: 0.01)
        var w = (0..<9).map { Double($0) * 0.1 - 0.4 }
        for i in 0..<9 { store.values[i] = Float(w[i]) }
        var m = [Double](repeating: 0, count: 9), v = m
        for t in 1...5 {
            var summed = [Double](repeating: 0, count: 9)
            for micro in 0..<2 {
                for i in 0..<9 {
                    let g = sin(Double(t * 7 + micro * 3 + i)) * (i == 4 ? 1e-4 : 1)
                    store.gradients[i] += Float(g)
                    summed[i] += g
                }
            }
            adam.update(store, accumulationSteps: 2)
            for i in 0..<9 {
                let g = summed[i] / 2
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                let mHat = m[i] / (1 - pow(0.9, Double(t))), vHat = v[i] / (1 - pow(0.999, Double(t)))
                w[i] -= 0.01 * mHat / (vHat.squareRoot() + 1e-8)
            }
        }
        for i in 0..<9 {
            #expect(abs(Double(store.values[i]) - w[i]) < 1e-5, "parameter \(i)")
            #expect(store.gradients[i] == 0, "gradients are zeroed after the update")
        }
        #expect(adam.step == 5)
    }

    @Test func initialValuesFollowPyTorchDefaults() {
        let graph = LayerGraph(configuration: UNetConfiguration(classes: 2, baseFilters: 4), patch: Extent3(16, 16, 16),
                               microBatch: 1, workspaceBytes: { _, _ in 0 })
        let store = ParameterStore(specs: graph.parameters)
        WeightInitializer.initialize(store, seed: 1)
        let conv = store.value("enc.1.net.0.weight")  // (8, 4, 3, 3, 3): fan_in 108
        let bound = Float(1 / 108.0.squareRoot())
        #expect(conv.allSatisfy { abs($0) <= bound })
        #expect(conv.map { abs($0) }.max()! > bound * 0.9)
        let up = store.value("up.0.weight")  // ConvTranspose3d (32, 16, 2, 2, 2): fan_in = 16 * 8
        #expect(up.allSatisfy { abs($0) <= Float(1 / 128.0.squareRoot()) })
        #expect(store.value("enc.0.net.1.weight").allSatisfy { $0 == 1 })
        #expect(store.value("enc.0.net.1.bias").allSatisfy { $0 == 0 })
        #expect(store.value("enc.0.net.1.running_var").allSatisfy { $0 == 1 })
        let again = ParameterStore(specs: graph.parameters)
        WeightInitializer.initialize(again, seed: 1)
        #expect(Array(again.value("dec.0.net.3.weight")) == Array(store.value("dec.0.net.3.weight")))
    }
}
