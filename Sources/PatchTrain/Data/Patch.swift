/// One training patch: the image as fp16 `(x, y, z, c)` and the labels as class indices `(x, y, z)`, both
/// C order, plus where it came from.
///
/// A patch owns its two buffers for its whole life and is refilled in place (`PatchSampler.read(_:into:)`):
/// the prefetcher allocates a fixed pool of them once, so steady-state sampling allocates nothing and the data
/// memory is exactly what `DataPipelineMemory` counts. Buffers are zeroed at allocation, so their pages are
/// resident from the start rather than appearing mid-run.
///
/// `@unchecked Sendable`: a patch is written only by whoever holds it exclusively (the sampler's caller, or the
/// prefetcher's producer for a slot the consumer cannot see yet); the prefetcher's lock orders those writes
/// before the consumer's reads.
public final class Patch: @unchecked Sendable {
    public let extent: Extent3
    public let channels: Int
    /// `extent.volume × channels` values, `(x, y, z, c)`.
    public let image: UnsafeMutableBufferPointer<Float16>
    /// `extent.volume` class indices, `(x, y, z)`.
    public let labels: UnsafeMutableBufferPointer<UInt8>

    /// Position of the case in the sampler's case list; -1 before the first fill.
    public internal(set) var caseIndex: Int = -1
    public internal(set) var caseID: String = ""
    /// Voxel of the case at the patch's `(0, 0, 0)`; may be negative or reach past the volume (zero padding).
    public internal(set) var origin: Extent3 = .zero
    /// Whether this patch was centred on a foreground voxel (false: uniform position).
    public internal(set) var centredOnForeground = false

    /// Whether this patch allocated its buffers (a stand-alone patch) or views a batch's contiguous block.
    private let ownsStorage: Bool

    public init(extent: Extent3, channels: Int) {
        precondition(extent.x > 0 && extent.y > 0 && extent.z > 0 && channels > 0, "empty patch \(extent)x\(channels)")
        self.extent = extent
        self.channels = channels
        image = .allocate(capacity: extent.volume * channels)
        image.initialize(repeating: 0)
        labels = .allocate(capacity: extent.volume)
        labels.initialize(repeating: 0)
        ownsStorage = true
    }

    /// A patch over memory owned by a `PatchBatch`, so a micro-batch is one contiguous `(batch, x, y, z, c)` tensor.
    init(extent: Extent3, channels: Int, image: UnsafeMutableBufferPointer<Float16>, labels: UnsafeMutableBufferPointer<UInt8>) {
        precondition(image.count == extent.volume * channels && labels.count == extent.volume, "patch views of the wrong size")
        self.extent = extent
        self.channels = channels
        self.image = image
        self.labels = labels
        ownsStorage = false
    }

    deinit {
        guard ownsStorage else { return }
        image.deallocate()
        labels.deallocate()
    }

    /// Bytes one patch holds: 2 per image value, 1 per label.
    public static func byteCount(extent: Extent3, channels: Int) -> Int {
        extent.volume * (channels * MemoryLayout<Float16>.size + MemoryLayout<UInt8>.size)
    }

    /// The voxel at the patch centre, `extent / 2` on each axis: the one a foreground draw centres on.
    public var centre: Extent3 { Extent3(extent.x / 2, extent.y / 2, extent.z / 2) }

    /// Label at patch coordinates `(x, y, z)`.
    public func label(_ x: Int, _ y: Int, _ z: Int) -> UInt8 { labels[(x * extent.y + y) * extent.z + z] }

    /// Image value at patch coordinates `(x, y, z)`, channel `c`.
    public func value(_ x: Int, _ y: Int, _ z: Int, channel c: Int = 0) -> Float16 {
        image[((x * extent.y + y) * extent.z + z) * channels + c]
    }
}
