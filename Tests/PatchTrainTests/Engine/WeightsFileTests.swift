import Foundation
import Testing
@testable import PatchTrain

/// `weights.safetensors` against what PyTorch holds and writes (`Fixtures/checkpoint/make_fixtures.py`).
@Suite struct WeightsFileTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/checkpoint")

    static func smallStore() -> ParameterStore {
        let graph = LayerGraph(configuration: UNetConfiguration(classes: 2, baseFilters: 4), patch: Extent3(16, 16, 16), microBatch: 1)
        return ParameterStore(specs: graph.parameters)
    }

    @Test func parametersAreExactlyPyTorchsStateDict() throws {
        let data = try Data(contentsOf: WeightsFileTests.fixtures.appendingPathComponent("seed_state_dict.json"))
        let torch = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        let graph = LayerGraph(configuration: UNetConfiguration(), patch: Extent3(16, 16, 16), microBatch: 1)
        #expect(graph.parameters.count == torch.count)
        for (ours, theirs) in zip(graph.parameters, torch) {
            #expect(ours.name == theirs["name"] as? String)
            #expect(ours.shape == theirs["shape"] as? [Int], "\(ours.name)")
            #expect((ours.elementType == .int64 ? "int64" : "float32") == theirs["dtype"] as? String, "\(ours.name)")
        }
    }

    @Test func readsWhatPyTorchWrote() throws {
        let store = WeightsFileTests.smallStore()
        try WeightsFile.read(WeightsFileTests.fixtures.appendingPathComponent("small_unet.safetensors").path, into: store)
        let data = try Data(contentsOf: WeightsFileTests.fixtures.appendingPathComponent("small_unet_values.json"))
        let expected = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [Double]])
        for spec in store.specs {
            let summary = try #require(expected[spec.name], "\(spec.name)")
            if spec.elementType == .int64 {
                #expect(store.counter(spec.name) == Int64(summary[0]))
                continue
            }
            let values = store.pyTorchValues(spec.name)
            // JSON carries the float32 values as decimals: compare after rounding them back to float32.
            #expect(values.first! == Float(summary[0]), "\(spec.name) first")
            #expect(values.last! == Float(summary[1]), "\(spec.name) last")
            let sum = values.reduce(0.0) { $0 + Double($1) }
            #expect(abs(sum - summary[2]) < 1e-6 * max(1, abs(summary[2])), "\(spec.name) sum")
        }
    }

    @Test func roundTripsEveryValueAndCounter() throws {
        let folder = TemporaryFolder()
        let store = WeightsFileTests.smallStore()
        WeightInitializer.initialize(store, seed: 5)
        store.setCounter("enc.0.net.1.num_batches_tracked", 42)
        let path = folder.file("weights.safetensors")
        try WeightsFile.write(store, to: path)
        let back = WeightsFileTests.smallStore()
        try WeightsFile.read(path, into: back)
        for spec in store.specs {
            if spec.elementType == .int64 {
                #expect(back.counter(spec.name) == store.counter(spec.name))
            } else {
                #expect(Array(back.value(spec.name)) == Array(store.value(spec.name)), "\(spec.name)")
            }
        }
    }

    @Test func refusesAnotherNetworksWeightsNamingTheFile() throws {
        let graph = LayerGraph(configuration: UNetConfiguration(), patch: Extent3(16, 16, 16), microBatch: 1)
        let path = WeightsFileTests.fixtures.appendingPathComponent("small_unet.safetensors").path
        #expect(throws: InputError.self) { try WeightsFile.read(path, into: ParameterStore(specs: graph.parameters)) }
        do {
            try WeightsFile.read(path, into: ParameterStore(specs: graph.parameters))
        } catch let error as InputError {
            #expect(error.file == path)
            #expect(error.problem.contains("expected float32 [16, 1, 3, 3, 3]") || error.problem.contains("is float32"))
        }
    }

    @Test func truncatedFileIsBadInput() throws {
        let folder = TemporaryFolder()
        let store = WeightsFileTests.smallStore()
        let path = folder.file("weights.safetensors")
        try WeightsFile.write(store, to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: path))
        #expect(throws: InputError.self) { try WeightsFile.read(path, into: WeightsFileTests.smallStore()) }
    }
}
