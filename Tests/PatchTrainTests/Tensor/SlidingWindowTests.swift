@testable import PatchTrain
import Testing

@Suite struct SlidingWindowTests {
    @Test func startsFollowTheStrideAndEndFlushWithTheBorder() {
        let w = SlidingWindow(volume: Extent3(240, 240, 155), window: Extent3(128, 128, 128), overlap: 0.5)
        #expect(w.starts[0] == [0, 64, 112])
        #expect(w.starts[2] == [0, 27])
        #expect(w.count == 18)
        #expect(SlidingWindow(volume: Extent3(240, 240, 160), window: Extent3(128, 128, 128), overlap: 0.5).count == 18)
        #expect(SlidingWindow(volume: Extent3(256, 100, 128), window: Extent3(128, 128, 128), overlap: 0).starts == [[0, 128], [0], [0]])
    }

    @Test func everyPlaneIsFinishedExactlyOnceInOrder() {
        let w = SlidingWindow(volume: Extent3(97, 20, 20), window: Extent3(32, 16, 16), overlap: 0.25)
        let planes = (0..<w.rows.count).flatMap { Array(w.finishedPlanes(afterRow: $0)) }
        #expect(planes == Array(0..<97))
    }

    @Test func windowsCoverEveryVoxel() {
        for (length, window, overlap) in [(155, 128, 0.5), (37, 16, 0.5), (240, 96, 0.25), (17, 16, 0.9), (10, 16, 0.5)] {
            let starts = SlidingWindow(volume: Extent3(length, 1, 1), window: Extent3(window, 1, 1), overlap: overlap).starts[0]
            var covered = [Bool](repeating: false, count: length)
            for s in starts { for i in s..<min(s + window, length) { covered[i] = true } }
            #expect(covered.allSatisfy { $0 }, "length \(length), window \(window), overlap \(overlap)")
            #expect(starts.last! + min(window, length) == length, "the last window is flush with the border")
        }
    }
}
