import Foundation

/// Small helpers for writing HTML by hand.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A number for CSS: fixed notation, 3 decimals.
    static func number(_ value: Double) -> String { String(format: "%.3f", value) }

    /// An `<img>` holding PNG bytes inline, so the page needs no other file.
    static func image(png: [UInt8], width: Int, height: Int, alt: String, id: String? = nil) -> String {
        let idAttribute = id.map { " id=\"\(escape($0))\"" } ?? ""
        return "<img\(idAttribute) width=\"\(width)\" height=\"\(height)\" alt=\"\(escape(alt))\" src=\"data:image/png;base64,"
            + Data(png).base64EncodedString() + "\">"
    }
}
