/// Reading a mask volume as class indices, whatever its form on disk:
/// a label map `(x, y, z)` of integers (or integral floats), or a one-hot `(x, y, z, C)` array
/// (the class is the channel holding the largest value).
extension VolumeSource {
    /// Number of classes a one-hot mask encodes; nil for a label map.
    public var oneHotClasses: Int? { shape.channels > 1 ? shape.channels : nil }

    /// Reads class indices through `read` (see `VolumeSource.readLabels`): every volume's way unless it stores
    /// class indices itself (a pack's labels).
    public func readLabels(_ box: Box3, into destination: UnsafeMutablePointer<UInt8>) {
        readLabelsThroughFloats(box, into: destination)
    }

    /// Reads the class index of every voxel in `box` into `destination` (`box.size.volume` bytes, `(x, y, z)`).
    /// Label values outside 0...255 are clamped and NaN reads as 255; validation (`DatasetScan`) reports them, and
    /// the patch sampler refuses labels that are not classes.
    public func readLabelsThroughFloats(_ box: Box3, into destination: UnsafeMutablePointer<UInt8>) {
        let c = shape.channels
        let (sx, sy, sz) = (box.size.x, box.size.y, box.size.z)
        guard sx > 0, sy > 0, sz > 0 else { return }
        // One (x, y) row at a time keeps the Float scratch small (sz · c values).
        let row = UnsafeMutablePointer<Float>.allocate(capacity: sz * c)
        defer { row.deallocate() }
        for ix in 0..<sx {
            for iy in 0..<sy {
                let rowBox = Box3(origin: Extent3(box.origin.x + ix, box.origin.y + iy, box.origin.z), size: Extent3(1, 1, sz))
                read(rowBox, into: row)
                let out = destination + (ix * sy + iy) * sz
                if c == 1 {
                    // Clamped before converting (Int(NaN) or Int(1e30) would trap); NaN becomes 255, never a class
                    // of a label map, so the sampler's label check reports it instead of training on it.
                    for iz in 0..<sz { out[iz] = row[iz].isNaN ? 255 : UInt8(min(max(row[iz], 0), 255).rounded()) }
                } else {
                    for iz in 0..<sz {
                        let v = row + iz * c
                        var best = 0
                        var bestValue = v[0]
                        for k in 1..<c where v[k] > bestValue {
                            best = k
                            bestValue = v[k]
                        }
                        // A one-hot mask of more than 256 channels is refused by `Dataset.check`; here the
                        // channel past 255 reads as 255 rather than trapping.
                        out[iz] = UInt8(min(best, 255))
                    }
                }
            }
        }
    }
}
