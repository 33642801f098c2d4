/// The element types patchtrain reads from and writes to disk, and stores in memory.
public enum ElementType: String, Sendable, Codable, CaseIterable {
    case float32, float16, float64
    case uint8, int8, int16, int32, int64
    case uint16, uint32
    case bool

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .float16, .int16, .uint16: return 2
        case .float32, .int32, .uint32: return 4
        case .float64, .int64: return 8
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float16, .float32, .float64: return true
        default: return false
        }
    }
}
