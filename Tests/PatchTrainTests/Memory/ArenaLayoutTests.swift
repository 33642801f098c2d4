import Testing
@testable import PatchTrain

/// Workspace sizes for layout tests: a fixed scratch per convolution, so layouts exercise workspace tensors.
private func testWorkspace(_ kind: OperationKind, _ graph: LayerGraph) -> Int {
    switch kind {
    case .convolution, .convolutionBackward: return 256 * 1024
    default: return 0
    }
}

@Suite struct ArenaLayoutTests {
    static let graphs: [LayerGraph] = [
        LayerGraph(configuration: UNetConfiguration(), patch: Extent3(64, 64, 48), microBatch: 2, workspaceBytes: testWorkspace),
        LayerGraph(configuration: UNetConfiguration(classes: 2, baseFilters: 4, normalization: .instance),
                   patch: Extent3(16, 16, 16), microBatch: 1, workspaceBytes: testWorkspace),
        LayerGraph(configuration: UNetConfiguration(), patch: Extent3(64, 64, 48), microBatch: 1, recomputation: true,
                   workspaceBytes: testWorkspace),
    ]

    @Test(arguments: graphs)
    func liveTensorsNeverOverlap(graph: LayerGraph) {
        let layout = ArenaLayout(graph: graph)
        for (i, a) in layout.lifetimes.enumerated() {
            for b in layout.lifetimes[(i + 1)...] where a.overlaps(b) {
                let ao = layout.offsets[a.tensor]!, bo = layout.offsets[b.tensor]!
                let disjoint = ao + graph.tensors[a.tensor].bytes <= bo || bo + graph.tensors[b.tensor].bytes <= ao
                #expect(disjoint, "\(graph.tensors[a.tensor].name) and \(graph.tensors[b.tensor].name) share bytes while both live")
            }
        }
    }

    @Test(arguments: graphs)
    func offsetsAreAlignedAndInside(graph: LayerGraph) {
        let layout = ArenaLayout(graph: graph)
        for lifetime in layout.lifetimes {
            let offset = layout.offsets[lifetime.tensor]!
            #expect(offset % ArenaLayout.alignment == 0)
            #expect(offset + graph.tensors[lifetime.tensor].bytes <= layout.size)
        }
        #expect(layout.size % 4096 == 0)
    }

    @Test(arguments: graphs)
    func arenaHoldsTheMostBytesLiveAtOnce(graph: LayerGraph) {
        let layout = ArenaLayout(graph: graph)
        #expect(layout.size >= layout.liveBytes.max()!)
        // Packing should be close to that lower bound, not the sum of all tensors.
        let total = layout.lifetimes.reduce(0) { $0 + graph.tensors[$1.tensor].bytes }
        #expect(layout.size < total)
    }

    @Test func everyTensorIsWrittenBeforeItIsRead() {
        let graph = ArenaLayoutTests.graphs[0]
        var written = Set(graph.tensors.filter { $0.kind == .input }.map(\.id))
        for op in graph.operations {
            for id in op.reads { #expect(written.contains(id), "\(op.name) reads \(graph.tensors[id].name) before any write") }
            written.formUnion(op.writes)
        }
    }

    @Test func parametersMatchTheReferenceNetworkCount() {
        // Read off PyTorch for the seed configuration of the reference UNet3D (torch_unet.py):
        // sum(p.numel() for p in model.parameters()) == 5,647,908 and len(model.state_dict()) == 136.
        let graph = ArenaLayoutTests.graphs[0]
        let trainable = graph.parameters.filter(\.trainable).reduce(0) { $0 + $1.elements }
        #expect(trainable == 5_647_908)
        #expect(graph.parameters.count == 136)
    }

    @Test func recomputationShrinksTheArenaAndCostsOneConvolutionPerBlock() {
        let kept = LayerGraph(configuration: UNetConfiguration(), patch: Extent3(128, 128, 128), microBatch: 1)
        let recomputed = LayerGraph(configuration: UNetConfiguration(), patch: Extent3(128, 128, 128), microBatch: 1, recomputation: true)
        #expect(ArenaLayout(graph: recomputed).size < ArenaLayout(graph: kept).size)
        let extra = recomputed.operations.filter { $0.name.hasSuffix(".recompute") }
        #expect(extra.count == 9)  // four encoder blocks, the bottleneck, four decoder blocks
        let flops = { (g: LayerGraph) in g.operations.reduce(0) { $0 + $1.flops } }
        #expect(flops(recomputed) - flops(kept) == extra.reduce(0) { $0 + $1.flops })
    }
}
