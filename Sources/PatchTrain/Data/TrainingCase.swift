/// One image/mask pair ready for sampling: the dataset opens them, the patch sampler reads them.
public struct TrainingCase: Sendable {
    /// The case's name (file name without extension), used in progress and errors.
    public let id: String
    /// `(x, y, z, channels)` image.
    public let image: any VolumeSource
    /// One-hot `(x, y, z, C)` or label map `(x, y, z)`, same spatial shape as the image.
    public let mask: any VolumeSource

    public init(id: String, image: any VolumeSource, mask: any VolumeSource) {
        self.id = id
        self.image = image
        self.mask = mask
    }
}
