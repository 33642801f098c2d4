/// The size of a voxel along each axis, for distances: millimetres from a NIfTI header, else one voxel.
public struct VoxelSpacing: Sendable, Equatable {
    public enum Unit: String, Sendable, Codable {
        case millimetre = "mm"
        case voxel
    }

    public let size: SIMD3<Double>
    public let unit: Unit

    public init(size: SIMD3<Double>, unit: Unit) {
        self.size = size
        self.unit = unit
    }

    public static let voxel = VoxelSpacing(size: SIMD3(1, 1, 1), unit: .voxel)

    /// The spacing of the first NIfTI volume among `volumes` (pass the truth first: it is the reference), in mm;
    /// one voxel when none is NIfTI (`.npy` has no geometry) or its pixdims are not positive and finite.
    /// NIfTI's `xyzt_units` may say metres or micrometres; an unset unit means millimetres, as readers assume.
    public static func of(_ volumes: [any VolumeSource]) -> VoxelSpacing {
        for volume in volumes {
            guard let header = VolumeGeometry.niftiHeader(of: volume) else { continue }
            let raw = SIMD3(Double(header.pixdim[1]), Double(header.pixdim[2]), Double(header.pixdim[3]))
            guard (0..<3).allSatisfy({ raw[$0].isFinite && raw[$0] > 0 }) else { return .voxel }
            let toMillimetres: Double
            switch header.xyztUnits & 0x07 {
            case 1: toMillimetres = 1000  // NIFTI_UNITS_METER
            case 3: toMillimetres = 0.001  // NIFTI_UNITS_MICRON
            default: toMillimetres = 1  // NIFTI_UNITS_MM, or unknown
            }
            return VoxelSpacing(size: raw * toMillimetres, unit: .millimetre)
        }
        return .voxel
    }
}
