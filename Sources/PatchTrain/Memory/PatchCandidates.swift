/// The patches the planner considers, largest first.
///
/// Edges are multiples of `multiple` (16 for four 2× poolings) and at most the volume's extent, rounded
/// down. Each next candidate shrinks by one multiple the axis with the most room — the one whose edge is
/// largest relative to the volume's edge on that axis — so patches keep close to the volume's aspect.
public enum PatchCandidates {
    public static func descending(volume: Extent3, multiple: Int) -> [Extent3] {
        var patch = Extent3.zero
        for a in 0..<3 { patch[a] = max(multiple, volume[a] / multiple * multiple) }
        var result = [patch]
        while (0..<3).contains(where: { patch[$0] > multiple }) {
            let axis = (0..<3).filter { patch[$0] > multiple }.max { a, b in
                let ra = Double(patch[a]) / Double(max(volume[a], 1)), rb = Double(patch[b]) / Double(max(volume[b], 1))
                // Equal room: shrink the longer edge first, then the earlier axis.
                return ra != rb ? ra < rb : (patch[a] != patch[b] ? patch[a] < patch[b] : a > b)
            }!
            patch[axis] -= multiple
            result.append(patch)
        }
        return result
    }
}
