/// The span of operations during which a tensor's bytes must stay intact: from the operation that first
/// writes it to the last operation that reads (or writes) it, both inclusive.
public struct TensorLifetime: Hashable, Codable, Sendable {
    public let tensor: Int
    public let first: Int
    public let last: Int

    public func overlaps(_ other: TensorLifetime) -> Bool { first <= other.last && other.first <= last }
    public func isLive(at operation: Int) -> Bool { first <= operation && operation <= last }

    /// Lifetimes of every tensor the arena holds (inputs live in the data pipeline's slots instead).
    public static func of(_ graph: LayerGraph) -> [TensorLifetime] {
        var first = [Int](repeating: Int.max, count: graph.tensors.count)
        var last = [Int](repeating: -1, count: graph.tensors.count)
        for op in graph.operations {
            for id in op.reads + op.writes + (op.workspace.map { [$0] } ?? []) {
                first[id] = min(first[id], op.index)
                last[id] = max(last[id], op.index)
            }
        }
        return graph.tensors.compactMap { t in
            guard t.kind != .input, last[t.id] >= 0 else { return nil }
            return TensorLifetime(tensor: t.id, first: first[t.id], last: last[t.id])
        }
    }
}
