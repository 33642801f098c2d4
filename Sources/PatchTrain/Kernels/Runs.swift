/// Calls `body(first, count)` for consecutive runs of at most `length` covering `0..<total`: the tiles and chunks
/// a kernel walks its voxels or rows in.
@inline(__always)
func forEachRun(of total: Int, length: Int, _ body: (Int, Int) -> Void) {
    var first = 0
    while first < total {
        let count = min(length, total - first)
        body(first, count)
        first += count
    }
}
