/// Where a volume's geometry (affine, voxel size, units) comes from: the NIfTI header it was read from — its
/// own, a channel stack's first file's, a pack case's source image's. `.npy` has none.
public enum VolumeGeometry {
    public static func niftiHeader(of volume: any VolumeSource) -> NIfTIHeader? {
        if let stack = volume as? ChannelStackVolume { return niftiHeader(of: stack.channels[0]) }
        if let mapped = volume as? LabelMappedVolume { return niftiHeader(of: mapped.source) }
        if let packed = volume as? PackedVolume { return packed.niftiHeader }
        return (volume as? NIfTIVolume)?.header
    }
}
