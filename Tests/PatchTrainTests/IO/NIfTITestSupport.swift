import Foundation
@testable import PatchTrain

/// Helpers shared by the NIfTI tests: raw element bytes in NIfTI order, and hand-built headers.
enum NIfTITestBytes {
    /// The bytes of `values` (patchtrain's `(x, y, z, c)` C order) as elements of `type` in NIfTI order
    /// (x fastest, channels last), little- or big-endian.
    static func fortran(_ values: [Double], shape: VolumeShape, type: ElementType, bigEndian: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        for ch in 0..<shape.channels {
            for z in 0..<shape.z {
                for y in 0..<shape.y {
                    for x in 0..<shape.x {
                        let v = values[((x * shape.y + y) * shape.z + z) * shape.channels + ch]
                        out += element(v, type: type, bigEndian: bigEndian)
                    }
                }
            }
        }
        return out
    }

    static func element(_ v: Double, type: ElementType, bigEndian: Bool) -> [UInt8] {
        func bytes<T: FixedWidthInteger>(_ x: T) -> [UInt8] {
            withUnsafeBytes(of: bigEndian ? x.bigEndian : x.littleEndian) { Array($0) }
        }
        switch type {
        case .uint8: return [UInt8(v)]
        case .int8: return bytes(Int8(v))
        case .int16: return bytes(Int16(v))
        case .uint16: return bytes(UInt16(v))
        case .int32: return bytes(Int32(v))
        case .uint32: return bytes(UInt32(v))
        case .int64: return bytes(Int64(v))
        case .float32: return bytes(Float(v).bitPattern)
        case .float64: return bytes(v.bitPattern)
        case .float16: return bytes(Float16(v).bitPattern)
        case .bool: return [v != 0 ? 1 : 0]
        }
    }

    /// Integral test values that fit every type in `types` (0...100, with negatives for signed types).
    static func values(count: Int, type: ElementType) -> [Double] {
        let signed: Set<ElementType> = [.int8, .int16, .int32, .int64, .float32, .float64]
        return (0..<count).map { i in
            let v = Double((i * 37) % 101)
            return signed.contains(type) ? v - 50 : v
        }
    }

    /// Writes a whole file: header then data, unchanged.
    static func writeFile(_ bytes: [UInt8], to path: String) {
        try! Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// The root of the repository (this file is `Tests/PatchTrainTests/IO/…`).
    static func repositoryRoot(_ file: String = #filePath) -> URL {
        var url = URL(fileURLWithPath: file)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url
    }
}

/// A minimal NIfTI-1 header written field by field in either byte order, independent of `NIfTIHeader.encoded()`.
struct HandBuiltHeader {
    var bytes = [UInt8](repeating: 0, count: 352)
    let bigEndian: Bool

    init(bigEndian: Bool, dims: [Int], datatype: Int, bitpix: Int) {
        self.bigEndian = bigEndian
        putInt32(348, at: 0)
        putInt16(dims.count, at: 40)
        for (i, d) in dims.enumerated() { putInt16(d, at: 42 + 2 * i) }
        for i in (dims.count + 1)..<8 { putInt16(1, at: 40 + 2 * i) }
        putInt16(datatype, at: 70)
        putInt16(bitpix, at: 72)
        for i in 0..<8 { putFloat(1, at: 76 + 4 * i) }
        putFloat(352, at: 108)
        for (i, b) in "n+1\0".utf8.enumerated() { bytes[344 + i] = b }
    }

    mutating func putInt16(_ v: Int, at offset: Int) {
        let x = Int16(v)
        withUnsafeBytes(of: bigEndian ? x.bigEndian : x.littleEndian) { for (i, b) in $0.enumerated() { bytes[offset + i] = b } }
    }

    mutating func putInt32(_ v: Int, at offset: Int) {
        let x = Int32(v)
        withUnsafeBytes(of: bigEndian ? x.bigEndian : x.littleEndian) { for (i, b) in $0.enumerated() { bytes[offset + i] = b } }
    }

    mutating func putFloat(_ v: Float, at offset: Int) {
        let x = v.bitPattern
        withUnsafeBytes(of: bigEndian ? x.bigEndian : x.littleEndian) { for (i, b) in $0.enumerated() { bytes[offset + i] = b } }
    }
}
