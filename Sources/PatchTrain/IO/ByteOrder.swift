/// Reversing the bytes of each element in place, for data written on a machine of the other byte order.
enum ByteOrder {
    static func swapInPlace(_ data: UnsafeMutableRawPointer, elementSize: Int, count: Int) {
        switch elementSize {
        case 2:
            for i in 0..<count {
                let v = data.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                data.storeBytes(of: v.byteSwapped, toByteOffset: 2 * i, as: UInt16.self)
            }
        case 4:
            for i in 0..<count {
                let v = data.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
                data.storeBytes(of: v.byteSwapped, toByteOffset: 4 * i, as: UInt32.self)
            }
        case 8:
            for i in 0..<count {
                let v = data.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)
                data.storeBytes(of: v.byteSwapped, toByteOffset: 8 * i, as: UInt64.self)
            }
        default:
            break  // single bytes have no order
        }
    }
}
