/// The rule every reader of a memory-mapped volume follows so that resident file pages stay bounded, whatever
/// the volume's size: read planes across the file's slowest axis in order, and give the pages back after every
/// `planesPerRelease` of them (and at the end of the pass).
///
/// A box's pages are not just the bytes it reads: the kernel maps whole folios of the page cache (up to 2 MiB)
/// around each fault, so reading a 128³ box maps nearly its whole span in the file — every `(y, z, c)` plane it
/// crosses, about 98 MiB for a BraTS image and one-hot float32 mask. Releasing every few planes bounds that to
/// `windowBytes` (plus a folio at either end) per volume, which is what the memory plan counts.
public struct PageWindow: Sendable, Equatable {
    /// File bytes a reader may map between releases.
    public static let windowBytes = 8 << 20
    /// The largest run the kernel maps around one fault.
    public static let folioBytes = 2 << 20
    /// Upper bound on one volume's mapped bytes under this rule: the window plus a folio at either end.
    public static let mappedBytes = windowBytes + 2 * folioBytes

    /// Planes read between two releases (at least one).
    public let planesPerRelease: Int

    /// For planes of `planeBytes` bytes of the file each.
    public init(planeBytes: Int) {
        planesPerRelease = max(1, PageWindow.windowBytes / max(planeBytes, 1))
    }

    /// For reading x-planes of `volumes` side by side, each plane pair counted by the larger file's plane.
    public init(xPlanesOf volumes: [any VolumeSource]) {
        self.init(planeBytes: volumes.map(\.xPlaneBytes).max() ?? 0)
    }

    /// Whether the pages go back after the plane at `index` (counted from 0 in this pass) has been read.
    public func releasesAfter(plane index: Int) -> Bool { (index + 1) % planesPerRelease == 0 }
}

extension VolumeSource {
    /// File bytes of one `(1, y, z, c)` plane.
    public var xPlaneBytes: Int { shape.y * shape.z * shape.channels * elementType.byteSize }
}
