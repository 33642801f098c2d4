/// The fixed part of a training process's memory — Swift runtime, loaded libraries, code pages, OpenBLAS's
/// per-thread buffers, the kernels' worker threads — measured, not guessed: run one step of a tiny network
/// in this process and take its peak RSS minus everything that step's own plan counts.
enum RuntimeBaseline {
    static func measure() throws -> FixedMemory {
        let configuration = UNetConfiguration(inputChannels: 1, classes: 2, baseFilters: 4, depth: 4, normalization: .batch)
        let patch = Extent3(16, 16, 16)
        let graph = LayerGraph(configuration: configuration, patch: patch, microBatch: 1)
        let layout = ArenaLayout(graph: graph)
        let store = ParameterStore(specs: graph.parameters)
        WeightInitializer.initialize(store, seed: 0)
        let executor = try Executor(graph: graph, layout: layout, parameters: store)
        let image = [Float16](repeating: 0.5, count: patch.volume)
        var labels = [UInt8](repeating: 0, count: patch.volume)
        for i in stride(from: 0, to: labels.count, by: 3) { labels[i] = 1 }
        _ = image.withUnsafeBufferPointer { i in
            labels.withUnsafeBufferPointer { l in executor.trainStep(image: i.baseAddress!, labels: l.baseAddress!) }
        }
        var adam = Adam()
        adam.update(store)
        let counted = layout.size + PersistentMemory(graph: graph).total
        let peak = ProcessMemory.peakResidentBytes
        return FixedMemory(runtimeBytes: max(peak - counted, 0), source: "measured at start-up")
    }
}
