/// Sliding-window inference under an `InferencePlan`: windows read from the volume (zero-padded past its border),
/// the forward-only graph on the executor, the probabilities stitched by the `Stitcher`, and finished x-planes
/// handed to the caller as they become final. Everything of size is allocated once, here, as the plan counts it.
final class SlidingWindowInference {
    let plan: InferencePlan
    let graph: LayerGraph
    private let executor: Executor
    private let reader: VolumeWindowReader
    private let input: UnsafeMutablePointer<Float16>
    private let ownsInput: Bool
    private let slabStorage: UnsafeMutableRawPointer?

    /// Memory a caller lends: an arena for the forward pass, and room for the stitching slab and the input batch
    /// (validation during training lends the idle training arena). Anything not lent is allocated.
    struct Loan {
        var arena: Arena?
        var slab: UnsafeMutableRawPointer?
        var input: UnsafeMutablePointer<Float16>?
        init(arena: Arena? = nil, slab: UnsafeMutableRawPointer? = nil, input: UnsafeMutablePointer<Float16>? = nil) {
            self.arena = arena
            self.slab = slab
            self.input = input
        }
    }

    /// `parameters` must hold the weights of `plan.configuration` (they are read, never written).
    init(plan: InferencePlan, parameters: ParameterStore, loan: Loan = Loan()) throws {
        self.plan = plan
        graph = LayerGraph(configuration: plan.configuration, patch: plan.window, microBatch: plan.windowsPerBatch, mode: .inference)
        executor = try Executor(graph: graph, layout: ArenaLayout(graph: graph), parameters: parameters, arena: loan.arena)
        reader = VolumeWindowReader(window: plan.window, channels: plan.configuration.inputChannels)
        let count = plan.windowsPerBatch * plan.window.volume * plan.configuration.inputChannels
        if let lent = loan.input {
            input = lent
            ownsInput = false
        } else {
            input = .allocate(capacity: count)
            ownsInput = true
        }
        input.initialize(repeating: 0, count: count)
        slabStorage = loan.slab
    }

    deinit { if ownsInput { input.deallocate() } }

    /// Infers one volume, which must have the plan's channels and fit within the plan's volume on every axis.
    /// `plane(x, probabilities)` receives each x-plane once, in order, as `(y, z, classes)` fp32 probabilities
    /// (the callee may overwrite them); `progress(done, total)` counts network passes.
    func infer(_ image: any VolumeSource, plane: (Int, UnsafeMutablePointer<Float>) throws -> Void,
                      progress: (Int, Int) -> Void = { _, _ in }) throws {
        let extent = image.shape.spatial
        precondition((0..<3).allSatisfy { extent[$0] <= plan.volume[$0] }, "\(image.path): \(extent) exceeds the planned \(plan.volume)")
        let windowing = SlidingWindow(volume: extent, window: plan.window, overlap: plan.overlap)
        let stitcher = Stitcher(windowing: windowing, classes: plan.configuration.classes, blend: plan.blend, storage: slabStorage)
        let mirrorings = plan.mirroring ? MirrorAxes.allCombinations : [[]]
        let windowFloats = plan.window.volume * plan.configuration.inputChannels
        let outputFloats = plan.window.volume * plan.configuration.classes
        let channels = plan.configuration.inputChannels
        let total = windowing.count * mirrorings.count
        var done = 0
        progress(done, total)
        for row in 0..<windowing.rows.count {
            let origins = windowing.origins(inRow: row)
            for first in stride(from: 0, to: origins.count, by: plan.windowsPerBatch) {
                let batch = Array(origins[first..<min(first + plan.windowsPerBatch, origins.count)])
                for (b, origin) in batch.enumerated() {
                    try reader.read(image, origin: origin, into: input + b * windowFloats)
                }
                // A short last batch runs with stale windows in its unused slots; their outputs are ignored.
                var current: MirrorAxes = []
                for axes in mirrorings {
                    // Mirror from the current state to `axes`: flipping is its own inverse.
                    let change = MirrorAxes(rawValue: current.rawValue ^ axes.rawValue)
                    if !change.isEmpty {
                        for b in 0..<batch.count {
                            WindowMirroring.mirror(input + b * windowFloats, extent: plan.window, channels: channels, axes: change)
                        }
                    }
                    current = axes
                    let probabilities = executor.forward(image: input)
                    for (b, origin) in batch.enumerated() {
                        stitcher.add(probabilities + b * outputFloats, at: origin, mirrored: axes,
                                     scale: 1 / Float(mirrorings.count))
                    }
                    done += batch.count
                    progress(done, total)
                }
            }
            try stitcher.finishRow(plane)
        }
    }
}
