/// A volume on disk that can be read box by box without loading it whole.
///
/// Implementations (`NPYVolume`, `NIfTIVolume`) map their file and convert elements to `Float` on the fly.
public protocol VolumeSource: AnyObject, Sendable {
    /// The file, as the user named it (used in every error).
    var path: String { get }
    /// `(x, y, z, c)`; a 3D array has one channel.
    var shape: VolumeShape { get }
    /// The element type stored on disk.
    var elementType: ElementType { get }
    /// Whether x varies fastest in the file (NIfTI, Fortran-order `.npy`) rather than the channels, then z
    /// (C-order `.npy`). Code that walks a whole volume cuts it across the slowest axis (z here, else x), so that
    /// each piece is one short stretch of the file and maps few pages.
    var isXFastestOnDisk: Bool { get }

    /// Reads every channel of the voxels in `box` (which must lie inside the volume) as Float into `destination`,
    /// laid out `(x, y, z, c)` in C order over the box: `box.size.volume * shape.channels` values.
    func read(_ box: Box3, into destination: UnsafeMutablePointer<Float>)

    /// Reads the class index of every voxel in `box` into `destination` (`box.size.volume` bytes, `(x, y, z)`):
    /// a label map's values, or a one-hot mask's hottest channel (`LabelReading.swift`).
    func readLabels(_ box: Box3, into destination: UnsafeMutablePointer<UInt8>)

    /// Gives the pages read so far back to the kernel, so RSS does not grow with the data walked.
    func releasePages()

    /// Throws if the file has been cut short since it was opened, or (a pack) a read since opening met a damaged
    /// chunk. Reading a mapped file past its new end would kill the process (SIGBUS); a run checks each volume
    /// before reading a patch from it, and after, so it can stop with an error naming the file instead.
    func checkUnchanged() throws
}

extension VolumeSource {
    /// Volumes that are not mapped files have nothing to check.
    public func checkUnchanged() throws {}

    /// The whole volume as Float, `(x, y, z, c)`. For tests and small volumes.
    public func readAll() -> [Float] {
        [Float](unsafeUninitializedCapacity: shape.elements) { buffer, count in
            read(Box3(origin: .zero, size: shape.spatial), into: buffer.baseAddress!)
            count = shape.elements
        }
    }
}
