/// Reading a label map for scoring, refusing what is not a label: `readLabels` rounds and clamps (a float
/// prediction of 0.6 would count as class 1, NaN as 255), which training's checks catch elsewhere, but a score
/// computed from such values would be silently wrong.
extension VolumeSource {
    /// The class index of every voxel in `box`, as `readLabels` gives it, after checking that a label map (one
    /// channel) holds only integers in 0...255; `scratch` holds `box.size.volume` Floats. One-hot volumes (several
    /// channels) are read as `readLabels` reads them: the class is the largest channel.
    func readCheckedLabels(_ box: Box3, into destination: UnsafeMutablePointer<UInt8>, scratch: UnsafeMutablePointer<Float>) throws {
        guard shape.channels == 1 else {
            readLabels(box, into: destination)
            return
        }
        read(box, into: scratch)
        for i in 0..<box.size.volume {
            let v = scratch[i]
            guard v.isFinite, v == v.rounded(), v >= 0, v <= 255 else {
                let (sy, sz) = (box.size.y, box.size.z)
                let (x, y, z) = (box.origin.x + i / (sy * sz), box.origin.y + i / sz % sy, box.origin.z + i % sz)
                throw InputError(path, "value \(v) at voxel (\(x), \(y), \(z)) is not a label (an integer in 0...255)")
            }
            destination[i] = UInt8(v)
        }
    }
}
