/// Hand-built `.npy` bytes, for headers the writer never emits: versions 2.0 and 3.0, Fortran order,
/// big-endian or unsupported dtypes.
enum RawNPY {
    /// A whole file: header (padded to 64 bytes, as NumPy does) followed by `data`.
    static func file(descr: String, shape: [Int], fortranOrder: Bool = false, version: UInt8 = 1, data: [UInt8]) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        let dict = "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(shapeText), }"
        let prefix = version == 1 ? 10 : 12
        let total = (prefix + dict.utf8.count + 1 + 63) / 64 * 64
        let headerLength = total - prefix
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        for i in 0..<(prefix - 8) { out.append(UInt8((headerLength >> (8 * i)) & 0xFF)) }
        out += Array(dict.utf8)
        out += [UInt8](repeating: 0x20, count: headerLength - dict.utf8.count - 1)
        out.append(0x0A)
        return out + data
    }

    /// The little-endian bytes of `values`.
    static func bytes<T: BitwiseCopyable>(_ values: [T]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }
}
