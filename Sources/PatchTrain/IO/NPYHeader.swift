import Foundation

/// The header of a NumPy `.npy` file (format versions 1.0, 2.0 and 3.0).
///
/// Layout: magic `\x93NUMPY`, major and minor version bytes, header length (UInt16 for 1.0, UInt32 for 2.0/3.0,
/// little-endian), then a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (240, 240, 160, 1), }`
/// padded with spaces and a newline so the data starts at a multiple of 64 bytes.
struct NPYHeader: Equatable, Sendable {
    var elementType: ElementType
    var shape: [Int]
    var fortranOrder: Bool
    /// Where the array's bytes start in the file.
    var dataOffset: Int
    var version: UInt8

    var elementCount: Int { shape.reduce(1, *) }
    var dataByteCount: Int { elementCount * elementType.byteSize }

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    init(elementType: ElementType, shape: [Int], fortranOrder: Bool = false, dataOffset: Int = 0, version: UInt8 = 1) {
        self.elementType = elementType
        self.shape = shape
        self.fortranOrder = fortranOrder
        self.dataOffset = dataOffset
        self.version = version
    }

    /// Parses the header at the start of `bytes`; `file` names the file in errors.
    init(parsing bytes: UnsafeRawBufferPointer, file: String) throws {
        guard bytes.count >= 10 else { throw InputError(file, "not a .npy file (too short for a header)") }
        guard Array(bytes[0..<6]) == NPYHeader.magic else { throw InputError(file, "not a .npy file (wrong magic bytes)") }
        let major = bytes[6]
        let headerLength: Int
        let prefix: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            prefix = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw InputError(file, "truncated .npy header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            prefix = 12
        default:
            throw InputError(file, "unsupported .npy format version \(major).\(bytes[7])")
        }
        guard prefix + headerLength <= bytes.count else { throw InputError(file, "truncated .npy header") }
        // Version 3.0 allows UTF-8; the fields we read are ASCII either way.
        let text = String(decoding: bytes[prefix..<(prefix + headerLength)], as: UTF8.self)
        let fields = try NPYHeader.parseDict(text, file: file)
        self.version = major
        self.dataOffset = prefix + headerLength
        self.elementType = fields.type
        self.shape = fields.shape
        self.fortranOrder = fields.fortran
        guard Checked.byteCount(shape, elementSize: elementType.byteSize).flatMap({ Checked.sum($0, dataOffset) }) != nil else {
            throw InputError(file, "shape \(OneLine.escaped("\(shape)")) of \(elementType) overflows the addressable size")
        }
    }

    /// The dtype string (`<f4`, `|u1`, ...) for an element type.
    static func descr(for type: ElementType) -> String {
        switch type {
        case .float32: return "<f4"
        case .float16: return "<f2"
        case .float64: return "<f8"
        case .uint8: return "|u1"
        case .int8: return "|i1"
        case .int16: return "<i2"
        case .int32: return "<i4"
        case .int64: return "<i8"
        case .uint16: return "<u2"
        case .uint32: return "<u4"
        case .bool: return "|b1"
        }
    }

    static func elementType(descr: String, file: String) throws -> ElementType {
        let shown = OneLine.escaped(descr)
        guard let order = descr.first, descr.count >= 2 else { throw InputError(file, "unsupported dtype '\(shown)'") }
        let code = String(descr.dropFirst())
        if order == ">" && !["u1", "i1", "b1"].contains(code) {
            throw InputError(file, "big-endian dtype '\(shown)' is not supported (save it little-endian: arr.astype('<\(OneLine.escaped(code))'))")
        }
        guard ["<", "|", "=", ">"].contains(order) else { throw InputError(file, "unsupported dtype '\(shown)'") }
        switch code {
        case "f4": return .float32
        case "f2": return .float16
        case "f8": return .float64
        case "u1": return .uint8
        case "i1": return .int8
        case "i2": return .int16
        case "i4": return .int32
        case "i8": return .int64
        case "u2": return .uint16
        case "u4": return .uint32
        case "b1", "?": return .bool
        default:
            throw InputError(file, "unsupported dtype '\(shown)' (supported: f4 f2 f8 u1 u2 u4 i1 i2 i4 i8 bool)")
        }
    }

    /// A deliberately small parser for the one dict literal NumPy writes.
    private static func parseDict(_ text: String, file: String) throws -> (type: ElementType, shape: [Int], fortran: Bool) {
        func value(after key: String) -> Substring? {
            for quote in ["'", "\""] {
                if let r = text.range(of: "\(quote)\(key)\(quote)") {
                    var rest = text[r.upperBound...].drop(while: { $0 == " " })
                    guard rest.first == ":" else { return nil }
                    rest = rest.dropFirst().drop(while: { $0 == " " })
                    return rest
                }
            }
            return nil
        }
        guard let descrValue = value(after: "descr") else { throw InputError(file, "malformed .npy header (no 'descr')") }
        guard let quote = descrValue.first, quote == "'" || quote == "\"" else {
            throw InputError(file, "unsupported dtype (structured arrays are not supported)")
        }
        let descrBody = descrValue.dropFirst().prefix(while: { $0 != quote })
        let type = try elementType(descr: String(descrBody), file: file)

        guard let fortranValue = value(after: "fortran_order") else {
            throw InputError(file, "malformed .npy header (no 'fortran_order')")
        }
        let fortran: Bool
        if fortranValue.hasPrefix("True") {
            fortran = true
        } else if fortranValue.hasPrefix("False") {
            fortran = false
        } else {
            throw InputError(file, "malformed .npy header (bad 'fortran_order')")
        }

        guard let shapeValue = value(after: "shape"), shapeValue.first == "(",
              let close = shapeValue.firstIndex(of: ")") else {
            throw InputError(file, "malformed .npy header (no 'shape')")
        }
        let inner = shapeValue[shapeValue.index(after: shapeValue.startIndex)..<close]
        var shape: [Int] = []
        for part in inner.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: " L")
            if trimmed.isEmpty { continue }
            guard let n = Int(trimmed), n >= 0 else { throw InputError(file, "malformed .npy header (bad shape '\(OneLine.escaped(inner))')") }
            shape.append(n)
        }
        return (type, shape, fortran)
    }

    /// The bytes of a header describing this array, padded so the data starts on a 64-byte boundary.
    /// Uses version 1.0 unless the dict does not fit its 16-bit length.
    func encoded() -> [UInt8] {
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        let dict = "{'descr': '\(NPYHeader.descr(for: elementType))', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(shapeText), }"
        func paddedLength(prefix: Int) -> Int { (prefix + dict.utf8.count + 1 + 63) / 64 * 64 - prefix }
        // Version 2.0's 32-bit length holds any dict this writes (a few bytes per dimension).
        let major: UInt8 = paddedLength(prefix: 10) <= 0xFFFF ? 1 : 2
        let prefix = major == 1 ? 10 : 12
        let headerLength = paddedLength(prefix: prefix)
        var out = NPYHeader.magic + [major, 0]
        for i in 0..<(prefix - 8) { out.append(UInt8((headerLength >> (8 * i)) & 0xFF)) }
        out += Array(dict.utf8)
        out += [UInt8](repeating: 0x20, count: headerLength - dict.utf8.count - 1)
        out.append(0x0A)
        return out
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}
