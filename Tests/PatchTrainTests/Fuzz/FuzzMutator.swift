import Foundation

/// Structure-aware mutations of a file's bytes, from a fixed seed: bit flips, truncation, byte and word edits with
/// boundary values, and edits of the numbers and values of a text region (a JSON header or document, the `.npy`
/// dict) with huge, negative and fractional numbers and values of the wrong JSON type.
struct FuzzMutator {
    var random: TestRandom

    init(seed: UInt64) { random = TestRandom(seed: seed) }

    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(random.next() % UInt64(n)) }
    mutating func chance(_ p: Double) -> Bool { Double(random.next() >> 11) / Double(1 << 53) < p }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    static let interestingIntegers: [Int64] = [0, 1, -1, 2, 3, 255, 256, -256, 32767, -32768, 65535, 65536, Int64(Int32.max),
                                                Int64(Int32.min), 1 << 31, 1 << 32, 1 << 40, 1 << 62, Int64.max, Int64.min, Int64.max - 7]
    static let interestingNumberTexts = ["0", "-1", "1", "2", "-9223372036854775808", "9223372036854775807", "9223372036854775808",
                                         "18446744073709551616", "1e308", "-1e308", "1.5", "0.5", "-0.0", "1e-320", "4611686018427387904",
                                         "2147483648", "65536", "256", "257", "99999999999999999999999", "NaN", "Infinity", "1e30"]
    static let wrongTypeTexts = ["\"x\"", "null", "[]", "{}", "true", "false", "[1,2]", "{\"a\":1}", "\"\"", "\"\\u0000\\n\""]
    static let interestingFloats: [Float] = [0, -0.0, 1, -1, .nan, .infinity, -.infinity, 1e30, -1e30, 0.5, 1e-45, .greatestFiniteMagnitude, 348, 352]

    // MARK: Byte-level

    mutating func flipBits(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        for _ in 0...below(4) { bytes[below(bytes.count)] ^= UInt8(1 << below(8)) }
    }

    mutating func setByte(_ bytes: inout [UInt8], in range: Range<Int>? = nil) {
        let r = range ?? 0..<bytes.count
        guard !r.isEmpty else { return }
        bytes[r.lowerBound + below(r.count)] = pick([0, 0xFF, 0x7F, 0x80, 0x20, 0x0A, 0x2C, 0x29, UInt8(truncatingIfNeeded: random.next())])
    }

    mutating func truncate(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        bytes.removeLast(1 + below(chance(0.5) ? min(bytes.count, 16) : bytes.count))
    }

    mutating func insertOrDuplicate(_ bytes: inout [UInt8]) {
        let at = below(bytes.count + 1)
        if chance(0.5) || bytes.isEmpty {
            bytes.insert(contentsOf: (0..<(1 + below(16))).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: at)
        } else {
            let start = below(bytes.count), length = 1 + below(min(64, bytes.count - start))
            bytes.insert(contentsOf: bytes[start..<(start + length)], at: at)
        }
    }

    /// Overwrites a little-endian word of `width` bytes at `offset` with a boundary value.
    mutating func setWord(_ bytes: inout [UInt8], at offset: Int, width: Int) {
        guard offset >= 0, offset + width <= bytes.count else { return }
        let value = UInt64(bitPattern: pick(Self.interestingIntegers))
        for i in 0..<width { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }

    mutating func setFloat(_ bytes: inout [UInt8], at offset: Int) {
        guard offset >= 0, offset + 4 <= bytes.count else { return }
        let bits = pick(Self.interestingFloats).bitPattern
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: bits >> (8 * UInt32(i))) }
    }

    /// One byte-level mutation anywhere.
    mutating func anyByteMutation(_ bytes: inout [UInt8]) {
        switch below(5) {
        case 0: flipBits(&bytes)
        case 1: setByte(&bytes)
        case 2: truncate(&bytes)
        case 3: insertOrDuplicate(&bytes)
        default: setWord(&bytes, at: below(max(bytes.count - 3, 1)), width: pick([2, 4, 8]))
        }
    }

    // MARK: Text (JSON, the .npy dict)

    /// Edits one token of `text`: a number replaced by a boundary value, a value by one of the wrong type, a key
    /// removed, a structural character dropped or doubled.
    mutating func editText(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        let numbers = Self.numberRanges(scalars)
        var choice = below(6)
        if choice < 3 && numbers.isEmpty { choice = 3 }
        switch choice {
        case 0, 1, 2:
            let r = pick(numbers)
            scalars.replaceSubrange(r, with: pick(Self.interestingNumberTexts).unicodeScalars)
        case 3:
            // A value (after a colon) replaced by one of another type.
            let colons = scalars.indices.filter { scalars[$0] == ":" }
            guard let colon = colons.isEmpty ? nil : pick(colons) else { break }
            var end = colon + 1
            var depth = 0
            var inString = false
            while end < scalars.count {
                let c = scalars[end]
                if c == "\"" { inString.toggle() }
                if !inString {
                    if c == "[" || c == "{" { depth += 1 }
                    if c == "]" || c == "}" { if depth == 0 { break }; depth -= 1 }
                    if c == "," && depth == 0 { break }
                }
                end += 1
            }
            scalars.replaceSubrange((colon + 1)..<end, with: (" " + pick(Self.wrongTypeTexts)).unicodeScalars)
        case 4:
            // A structural character dropped or doubled.
            let structural = scalars.indices.filter { "{}[](),:\"'".unicodeScalars.contains(scalars[$0]) }
            guard !structural.isEmpty else { break }
            let i = pick(structural)
            if chance(0.5) { scalars.remove(at: i) } else { scalars.insert(scalars[i], at: i) }
        default:
            // A key and its value removed (from a quote to the next comma).
            let quotes = scalars.indices.filter { scalars[$0] == "\"" || scalars[$0] == "'" }
            guard !quotes.isEmpty else { break }
            let start = pick(quotes)
            if let comma = scalars[start...].firstIndex(of: ",") { scalars.removeSubrange(start...comma) }
        }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars)
        return String(out)
    }

    /// The ranges of numeric literals (with sign, fraction, exponent).
    static func numberRanges(_ s: [Unicode.Scalar]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var i = 0
        func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
        while i < s.count {
            if isDigit(s[i]) || (s[i] == "-" && i + 1 < s.count && isDigit(s[i + 1])) {
                let start = i
                i += 1
                while i < s.count, isDigit(s[i]) || s[i] == "." || s[i] == "e" || s[i] == "E" || s[i] == "+" || s[i] == "-" { i += 1 }
                ranges.append(start..<i)
            } else {
                i += 1
            }
        }
        return ranges
    }

    /// 1 to 3 edits of a text.
    mutating func mutateText(_ text: String) -> String {
        var out = text
        for _ in 0...below(3) { out = editText(out) }
        return out
    }
}
