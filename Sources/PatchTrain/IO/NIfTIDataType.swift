/// The NIfTI-1 `datatype` codes patchtrain reads and writes, and the element type each one stores.
///
/// Complex, RGB and 128-bit types have no meaning for a segmentation network's input, so they are refused
/// by name rather than misread.
extension ElementType {
    /// The element type for a NIfTI-1 `datatype` code, or nil when patchtrain does not read that type.
    public init?(niftiCode code: Int) {
        switch code {
        case 2: self = .uint8
        case 4: self = .int16
        case 8: self = .int32
        case 16: self = .float32
        case 64: self = .float64
        case 256: self = .int8
        case 512: self = .uint16
        case 768: self = .uint32
        case 1024: self = .int64
        default: return nil
        }
    }

    /// The NIfTI-1 `datatype` code for this element type; nil for types NIfTI-1 cannot hold
    /// (float16 and bool have no code in the standard).
    public var niftiCode: Int? {
        switch self {
        case .uint8: return 2
        case .int16: return 4
        case .int32: return 8
        case .float32: return 16
        case .float64: return 64
        case .int8: return 256
        case .uint16: return 512
        case .uint32: return 768
        case .int64: return 1024
        case .float16, .bool: return nil
        }
    }

    /// A readable name for a NIfTI-1 `datatype` code, for error messages about types patchtrain refuses.
    static func niftiName(code: Int) -> String {
        switch code {
        case 0: return "unknown"
        case 1: return "binary"
        case 32: return "complex64"
        case 128: return "rgb24"
        case 1280: return "uint64"
        case 1536: return "float128"
        case 1792: return "complex128"
        case 2048: return "complex256"
        case 2304: return "rgba32"
        default: return "code \(code)"
        }
    }
}
