/// Reads windows of an image volume as the network's fp16 input: the part inside the volume from disk (widened to
/// Float by the volume, narrowed to fp16 here), zeros past the border — the same values training patches hold.
/// Reads one x-slab at a time, and gives the file's pages back every few planes, so neither scratch nor mapped
/// pages grow with the window (see `PageWindow`).
final class VolumeWindowReader {
    let window: Extent3
    let channels: Int
    private let scratch: UnsafeMutablePointer<Float>

    init(window: Extent3, channels: Int) {
        self.window = window
        self.channels = channels
        let count = window.y * window.z * channels
        scratch = .allocate(capacity: count)
        scratch.initialize(repeating: 0, count: count)
    }

    deinit { scratch.deallocate() }

    /// Fills `destination` (`window.volume × channels` fp16, `(x, y, z, c)`) with the window at `origin`. Throws
    /// `InputError` naming the file and voxel when a value is NaN or infinite (it would poison every window near it).
    func read(_ volume: any VolumeSource, origin: Extent3, into destination: UnsafeMutablePointer<Float16>) throws {
        precondition(volume.shape.channels == channels, "\(volume.path): \(volume.shape.channels) channels, expected \(channels)")
        let box = Box3(origin: origin, size: window)
        let total = window.volume * channels
        guard let inside = box.clipped(to: volume.shape.spatial) else {
            destination.update(repeating: 0, count: total)
            return
        }
        if inside != box { destination.update(repeating: 0, count: total) }
        let pages = PageWindow(xPlanesOf: [volume])
        let (sy, sz) = (inside.size.y, inside.size.z)
        let offset = Extent3(inside.origin.x - origin.x, inside.origin.y - origin.y, inside.origin.z - origin.z)
        for ix in 0..<inside.size.x {
            volume.read(Box3(origin: Extent3(inside.origin.x + ix, inside.origin.y, inside.origin.z), size: Extent3(1, sy, sz)),
                        into: scratch)
            try checkFinite(volume, count: sy * sz * channels, plane: inside.origin.x + ix, origin: inside.origin, size: inside.size)
            for iy in 0..<sy {
                let voxel = ((offset.x + ix) * window.y + offset.y + iy) * window.z + offset.z
                Precision.narrow(scratch + iy * sz * channels, into: destination + voxel * channels, count: sz * channels)
            }
            if pages.releasesAfter(plane: ix) { volume.releasePages() }
        }
        volume.releasePages()
    }

    private func checkFinite(_ volume: any VolumeSource, count: Int, plane x: Int, origin: Extent3, size: Extent3) throws {
        var finite = true
        for i in 0..<count { finite = finite && scratch[i].isFinite }
        guard !finite else { return }
        let i = (0..<count).first { !scratch[$0].isFinite }! / channels
        let (y, z) = (origin.y + i / size.z, origin.z + i % size.z)
        throw InputError(volume.path, "value \(scratch[i * channels]) at voxel (\(x), \(y), \(z)): images must be finite")
    }
}
