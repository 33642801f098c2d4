/// Sizes as users write them on the command line and read them in reports. Units are binary:
/// `8G`, `8GiB` and `8GB` all mean 8 × 2³⁰ bytes; `512M`, `1.5G`, `64K` and plain byte counts work too.
public enum ByteCount {
    /// Parses a size; nil when the text is not one.
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingWhitespace()
        let numberEnd = trimmed.firstIndex(where: { !($0.isNumber || $0 == ".") }) ?? trimmed.endIndex
        let number = trimmed[..<numberEnd]
        let unit = trimmed[numberEnd...].lowercased()
        guard let value = Double(number), value >= 0, value.isFinite else { return nil }
        let shift: Int
        switch unit {
        case "", "b": shift = 0
        case "k", "kb", "kib": shift = 10
        case "m", "mb", "mib": shift = 20
        case "g", "gb", "gib": shift = 30
        case "t", "tb", "tib": shift = 40
        default: return nil
        }
        let bytes = value * Double(1 << shift)
        guard bytes < 9.0e18 else { return nil }
        return Int(bytes.rounded())
    }

    /// `3.25 GiB`, `812.0 MiB`, `4.0 KiB`, `17 B`.
    public static func format(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while abs(value) >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        let rounded = (value * 100).rounded() / 100
        return "\(rounded) \(units[unit])"
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        var s = self[...]
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return s
    }
}
