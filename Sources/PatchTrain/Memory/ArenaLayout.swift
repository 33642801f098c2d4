/// Where every transient tensor of a step lives inside one arena: an offline packing of tensors whose
/// lifetimes do not overlap into shared bytes (greedy by size, first fit — the strategy of TFLite's arena
/// planner). The executor allocates `size` bytes once and binds each tensor at `offsets[id]`.
public struct ArenaLayout: Hashable, Codable, Sendable {
    /// Byte alignment of every tensor: a cache line, enough for any SIMD load.
    public static let alignment = 64

    /// Offset of each tensor by id; nil for tensors outside the arena (inputs).
    public let offsets: [Int?]
    public let lifetimes: [TensorLifetime]
    /// Bytes the arena needs (the packed layout's high-water mark, rounded up to whole pages).
    public let size: Int
    /// Bytes live during each operation: the lower bound any packing must reach.
    public let liveBytes: [Int]

    /// The operation during which the most bytes are live.
    public var peakOperation: Int { liveBytes.indices.max { liveBytes[$0] < liveBytes[$1] } ?? 0 }

    public init(graph: LayerGraph, pageSize: Int = 4096) {
        let lifetimes = TensorLifetime.of(graph)
        func padded(_ bytes: Int) -> Int { (bytes + ArenaLayout.alignment - 1) / ArenaLayout.alignment * ArenaLayout.alignment }

        // Largest first; among equals, the earlier-born first, so the layout is deterministic.
        let order = lifetimes.sorted {
            let a = graph.tensors[$0.tensor].bytes, b = graph.tensors[$1.tensor].bytes
            return a != b ? a > b : $0.first < $1.first
        }
        var offsets = [Int?](repeating: nil, count: graph.tensors.count)
        var placed: [(lifetime: TensorLifetime, offset: Int, end: Int)] = []
        var highWater = 0
        for lifetime in order {
            let bytes = padded(graph.tensors[lifetime.tensor].bytes)
            // Lowest gap among the already placed tensors that are live at the same time.
            let conflicts = placed.filter { $0.lifetime.overlaps(lifetime) }.sorted { $0.offset < $1.offset }
            var candidate = 0
            for c in conflicts {
                if candidate + bytes <= c.offset { break }
                candidate = max(candidate, c.end)
            }
            offsets[lifetime.tensor] = candidate
            placed.append((lifetime, candidate, candidate + bytes))
            highWater = max(highWater, candidate + bytes)
        }

        var live = [Int](repeating: 0, count: graph.operations.count)
        for lifetime in lifetimes {
            let bytes = padded(graph.tensors[lifetime.tensor].bytes)
            for op in lifetime.first...lifetime.last { live[op] += bytes }
        }
        self.offsets = offsets
        self.lifetimes = lifetimes
        self.size = (highWater + pageSize - 1) / pageSize * pageSize
        self.liveBytes = live
    }
}
