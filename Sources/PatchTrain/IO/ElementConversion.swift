/// Widening of on-disk elements to `Float`, for any supported element type.
/// Source pointers into mapped files need not be aligned for the element type, so loads are unaligned.
enum ElementConversion {
    /// Converts `count` elements of `type` at `source` (consecutive, little-endian) to Float at `destination`.
    @inlinable
    static func toFloat(_ source: UnsafeRawPointer, type: ElementType, count: Int, into destination: UnsafeMutablePointer<Float>) {
        switch type {
        case .float32:
            // Contiguous float32 copy: memcpy is fastest and handles misalignment.
            UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
        case .float16:
            // Aligned runs (a pack's chunks, `.npy` data) take the vectorised widening; a NIfTI file may place
            // its data at an odd offset.
            if Int(bitPattern: source) % MemoryLayout<Float16>.alignment == 0 {
                Precision.widen(source.assumingMemoryBound(to: Float16.self), into: destination, count: count)
            } else {
                for i in 0..<count { destination[i] = Float(source.loadUnaligned(fromByteOffset: 2 * i, as: Float16.self)) }
            }
        case .float64:
            for i in 0..<count { destination[i] = Float(source.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
        case .uint8, .bool:
            let p = source.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { destination[i] = Float(p[i]) }
        case .int8:
            let p = source.assumingMemoryBound(to: Int8.self)
            for i in 0..<count { destination[i] = Float(p[i]) }
        case .int16:
            for i in 0..<count { destination[i] = Float(source.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)) }
        case .int32:
            for i in 0..<count { destination[i] = Float(source.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
        case .int64:
            for i in 0..<count { destination[i] = Float(source.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
        case .uint16:
            for i in 0..<count { destination[i] = Float(source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .uint32:
            for i in 0..<count { destination[i] = Float(source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
        }
    }

    /// One element of `type` at byte offset `offset` of `source`, as Float.
    @inlinable
    static func element(_ source: UnsafeRawPointer, type: ElementType, at index: Int) -> Float {
        var value: Float = 0
        toFloat(source + index * type.byteSize, type: type, count: 1, into: &value)
        return value
    }
}
