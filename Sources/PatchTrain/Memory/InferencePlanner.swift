/// Chooses the window and windows per batch of sliding-window inference within a budget.
///
/// The cost of covering a volume is the voxels the network processes, `Π over axes of (windows × window edge)`:
/// with overlap 0.5 a larger window is not always cheaper (on a 240 axis, 2 windows of 160 cover it with 320
/// voxel-planes, 2 of 224 with 448). So the planner walks windows from the cheapest cover to the dearest and takes
/// the first that fits, the larger window among equal costs. On each axis only the smallest edge that gives each
/// window count is a candidate: any larger edge with the same count costs more and needs more memory.
struct InferencePlanner: Sendable {
    var configuration: UNetConfiguration
    var volume: Extent3
    var overlap: Double
    var blend: BlendMode
    var mirroring: Bool
    var output: InferenceOutput
    var fixed: FixedMemory

    init(configuration: UNetConfiguration, volume: Extent3, overlap: Double = 0.5, blend: BlendMode = .gaussian,
                mirroring: Bool = false, output: InferenceOutput, fixed: FixedMemory) {
        self.configuration = configuration
        self.volume = volume
        self.overlap = overlap
        self.blend = blend
        self.mirroring = mirroring
        self.output = output
        self.fixed = fixed
    }

    /// The plan of one setting, whether or not it fits `budget`.
    func plan(window: Extent3, windowsPerBatch: Int = 1, budget: Int) -> InferencePlan {
        let graph = LayerGraph(configuration: configuration, patch: window, microBatch: windowsPerBatch, mode: .inference)
        let layout = ArenaLayout(graph: graph)
        let windowing = SlidingWindow(volume: volume, window: window, overlap: overlap)
        let floats = graph.parameters.filter { $0.elementType == .float32 }
        let largest = floats.map(\.bytes).max() ?? 0
        let fileBytes = graph.parameters.reduce(0) { $0 + $1.bytes }
        let memory = InferenceMemory(
            weightBytes: floats.reduce(0) { $0 + $1.bytes } + largest,
            loadingBytes: fileBytes + 2 * largest,
            arenaBytes: layout.size,
            arenaPeakOperation: graph.operations[layout.peakOperation].name,
            inputBytes: windowsPerBatch * window.volume * configuration.inputChannels * MemoryLayout<Float16>.size,
            readerBytes: InferenceMemory.readerScratchBytes(window: window, channels: configuration.inputChannels)
                + PageWindow.mappedBytes,
            stitchBytes: InferenceMemory.stitchSlabBytes(windowing: windowing, classes: configuration.classes),
            outputBytes: InferenceMemory.outputBufferBytes(extent: volume, classes: configuration.classes, output: output))
        return InferencePlan(configuration: configuration, volume: volume, window: window, windowsPerBatch: windowsPerBatch,
                             overlap: overlap, blend: blend, mirroring: mirroring, output: output, budgetBytes: budget,
                             fixed: fixed, memory: memory, flopsPerBatch: graph.operations.reduce(0) { $0 + $1.flops })
    }

    enum Outcome: Sendable {
        case fits(InferencePlan)
        /// Not even the smallest window fits; its plan says the minimum budget.
        case tooSmall(smallest: InferencePlan)
    }

    /// The cheapest cover that fits `budget`; a given `window` is taken as it is.
    func choose(budget: Int, window fixedWindow: Extent3? = nil, windowsPerBatch: Int = 1) -> Outcome {
        let candidates = fixedWindow.map { [$0] } ?? windowCandidates()
        for window in candidates {
            let plan = plan(window: window, windowsPerBatch: windowsPerBatch, budget: budget)
            if plan.predictedPeakBytes <= budget { return .fits(plan) }
        }
        let smallest = candidates.min { $0.volume < $1.volume }!
        return .tooSmall(smallest: plan(window: smallest, windowsPerBatch: windowsPerBatch, budget: budget))
    }

    /// Windows ordered by the voxels they make the network process over the volume, cheapest first.
    func windowCandidates() -> [Extent3] {
        let m = configuration.patchMultiple
        let perAxis: [[(edge: Int, cost: Int)]] = (0..<3).map { a in
            let padded = (volume[a] + m - 1) / m * m
            var byCount: [Int: Int] = [:]  // windows on this axis → smallest edge giving that many
            for edge in stride(from: m, through: padded, by: m) {
                let count = SlidingWindow.starts(length: volume[a], window: edge, overlap: overlap).count
                byCount[count] = min(byCount[count] ?? edge, edge)
            }
            return byCount.map { count, edge in (edge, count * edge) }
        }
        var all: [(window: Extent3, cost: Int)] = []
        for x in perAxis[0] { for y in perAxis[1] { for z in perAxis[2] {
            all.append((Extent3(x.edge, y.edge, z.edge), x.cost * y.cost * z.cost))
        } } }
        return all.sorted { $0.cost != $1.cost ? $0.cost < $1.cost : $0.window.volume > $1.window.volume }.map(\.window)
    }
}
