/// Several single-channel volumes of one spatial shape read as one multi-channel volume: channel `k` is the
/// `k`-th file. This is how nnU-Net's one-file-per-channel cases (`CASE_0000`, `CASE_0001`, …) and BraTS's
/// per-modality files become the `(x, y, z, c)` image the network takes.
///
/// Each file keeps its own reader (and its own mapped pages); a read fills one channel at a time through a
/// scratch run of `box.size.z` values per `(x, y)` row, so no channel is ever held whole.
public final class ChannelStackVolume: VolumeSource, @unchecked Sendable {
    /// The first channel's file: the case's name in messages comes from it.
    public var path: String { channels[0].path }
    public let channels: [any VolumeSource]
    public let shape: VolumeShape
    /// The widest element type of the channels (all are widened to Float when read anyway).
    public var elementType: ElementType { channels.map(\.elementType).max { $0.byteSize < $1.byteSize }! }
    public var isXFastestOnDisk: Bool { channels[0].isXFastestOnDisk }

    /// `channels` must each have one channel and share a spatial shape; callers check, and name the file that
    /// does not (`Dataset.check`).
    public init(_ channels: [any VolumeSource]) {
        precondition(!channels.isEmpty, "a channel stack needs at least one volume")
        precondition(channels.allSatisfy { $0.shape.channels == 1 && $0.shape.spatial == channels[0].shape.spatial },
                     "channel stack of mismatched volumes")
        self.channels = channels
        let s = channels[0].shape
        shape = VolumeShape(x: s.x, y: s.y, z: s.z, channels: channels.count)
    }

    public func read(_ box: Box3, into destination: UnsafeMutablePointer<Float>) {
        precondition(box.isInside(shape.spatial), "box \(box) outside \(shape) in \(path)")
        let c = channels.count
        let voxels = box.size.volume
        guard voxels > 0 else { return }
        // One channel's box at a time, then interleaved into the channel-last destination.
        let single = UnsafeMutablePointer<Float>.allocate(capacity: voxels)
        defer { single.deallocate() }
        for (k, volume) in channels.enumerated() {
            volume.read(box, into: single)
            for v in 0..<voxels { destination[v * c + k] = single[v] }
        }
    }

    public func releasePages() {
        for volume in channels { volume.releasePages() }
    }

    public func checkUnchanged() throws {
        for volume in channels { try volume.checkUnchanged() }
    }
}
