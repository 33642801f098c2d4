/// Where the windows of a sliding-window inference go: on each axis, starts `stride = ⌊window·(1 − overlap)⌋`
/// apart from 0, the last one flush with the far border (MONAI's and nnU-Net's tiling). The windows are the
/// Cartesian product of the three axes' starts, visited x-start by x-start ("rows"), so that once a row is done,
/// every plane before the next row's start is final. A volume shorter than the window on an axis gets one start
/// at 0; the window then reaches past the border and reads zeros there.
public struct SlidingWindow: Hashable, Sendable {
    public let volume: Extent3
    public let window: Extent3
    public let overlap: Double
    /// Window starts on each axis, ascending.
    public let starts: [[Int]]

    public init(volume: Extent3, window: Extent3, overlap: Double) {
        precondition((0..<3).allSatisfy { volume[$0] > 0 && window[$0] > 0 }, "empty volume or window")
        precondition(overlap >= 0 && overlap < 1, "overlap must be in [0, 1)")
        self.volume = volume
        self.window = window
        self.overlap = overlap
        starts = (0..<3).map { SlidingWindow.starts(length: volume[$0], window: window[$0], overlap: overlap) }
    }

    static func starts(length: Int, window: Int, overlap: Double) -> [Int] {
        guard length > window else { return [0] }
        let stride = max(1, Int(Double(window) * (1 - overlap)))
        var result = Array(Swift.stride(from: 0, to: length - window, by: stride))
        result.append(length - window)
        return result
    }

    public var count: Int { starts.reduce(1) { $0 * $1.count } }
    /// The x-starts: one row of windows each.
    public var rows: [Int] { starts[0] }

    /// Origins of the windows of row `row` (an index into `rows`), y-major.
    public func origins(inRow row: Int) -> [Extent3] {
        starts[1].flatMap { y in starts[2].map { z in Extent3(starts[0][row], y, z) } }
    }

    /// The planes `[first, end)` along x that are final once row `row` has been added: up to the next row's start,
    /// or the rest of the volume after the last row.
    public func finishedPlanes(afterRow row: Int) -> Range<Int> {
        rows[row]..<(row + 1 < rows.count ? rows[row + 1] : volume.x)
    }

    /// Planes the stitching slab must hold: one window's depth, or the whole volume when that is shorter.
    public var slabPlanes: Int { min(window.x, volume.x) }
}
