/// Mirrors a window of `(x, y, z, c)` values in place along some axes: test-time augmentation flips the input
/// this way, and mirroring twice restores it, so the eight combinations need no second buffer.
enum WindowMirroring {
    static func mirror<T>(_ values: UnsafeMutablePointer<T>, extent e: Extent3, channels c: Int, axes: MirrorAxes) {
        if axes.contains(axis: 0) {
            let plane = e.y * e.z * c
            for i in 0..<e.x / 2 { swapBlocks(values + i * plane, values + (e.x - 1 - i) * plane, count: plane) }
        }
        if axes.contains(axis: 1) {
            let line = e.z * c
            for x in 0..<e.x {
                let base = values + x * e.y * line
                for j in 0..<e.y / 2 { swapBlocks(base + j * line, base + (e.y - 1 - j) * line, count: line) }
            }
        }
        if axes.contains(axis: 2) {
            for line in 0..<e.x * e.y {
                let base = values + line * e.z * c
                for k in 0..<e.z / 2 { swapBlocks(base + k * c, base + (e.z - 1 - k) * c, count: c) }
            }
        }
    }

    private static func swapBlocks<T>(_ a: UnsafeMutablePointer<T>, _ b: UnsafeMutablePointer<T>, count: Int) {
        for i in 0..<count { swap(&a[i], &b[i]) }
    }
}
