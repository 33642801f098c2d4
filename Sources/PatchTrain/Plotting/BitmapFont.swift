/// A small anti-aliased font for text inside PNG pictures (axis labels, legends, captions), so that pictures need
/// no font library: printable ASCII, each glyph a grid of coverage levels 0...15 blended over what lies beneath.
/// Characters outside printable ASCII are drawn as `?`.
public struct BitmapFont: Sendable {
    struct Glyph: Sendable {
        /// Pixels from this glyph's origin to the next one's.
        let advance: Int
        let width: Int
        /// `lineHeight` rows of `width` hexadecimal digits, top to bottom.
        let coverage: String
    }

    public let lineHeight: Int
    private let advances: [Int]
    private let widths: [Int]
    /// Per glyph, `lineHeight × width` coverage levels.
    private let levels: [[UInt8]]

    init(lineHeight: Int, glyphs: [Glyph]) {
        self.lineHeight = lineHeight
        advances = glyphs.map(\.advance)
        widths = glyphs.map(\.width)
        levels = glyphs.map { glyph in
            precondition(glyph.coverage.utf8.count == glyph.width * lineHeight, "glyph grid is width × line height")
            return glyph.coverage.utf8.map { UInt8(($0 >= 0x61 ? $0 - 0x61 + 10 : $0 - 0x30)) }
        }
    }

    /// DejaVu Sans at 12 pixels.
    public static let standard = BitmapFont.dejaVuSans12

    private func index(of character: Unicode.Scalar) -> Int {
        (32...126).contains(character.value) ? Int(character.value) - 32 : Int(Character("?").asciiValue!) - 32
    }

    /// The width `text` takes, in pixels.
    public func width(of text: String, scale: Int = 1) -> Int {
        text.unicodeScalars.reduce(0) { $0 + advances[index(of: $1)] } * scale
    }

    /// Calls `paint(dx, dy, coverage)` for every covered pixel of `text` laid out from `(0, 0)` (top-left), left
    /// to right, unscaled.
    func forEachPixel(of text: String, _ paint: (Int, Int, Double) -> Void) {
        var origin = 0
        for scalar in text.unicodeScalars {
            let g = index(of: scalar)
            let width = widths[g]
            for row in 0..<lineHeight {
                for column in 0..<width {
                    let level = levels[g][row * width + column]
                    if level > 0 { paint(origin + column, row, Double(level) / 15) }
                }
            }
            origin += advances[g]
        }
    }
}

extension Raster {
    /// Writes `text` with its top-left corner at `(x, y)`, each font pixel `scale × scale` pixels; `bold` draws it
    /// twice, one pixel apart.
    public mutating func text(_ text: String, x: Int, y: Int, _ color: RGB, scale: Int = 1, bold: Bool = false,
                              font: BitmapFont = .standard) {
        for offset in bold ? [0, 1] : [0] {
            font.forEachPixel(of: text) { dx, dy, alpha in
                for i in 0..<scale {
                    for j in 0..<scale {
                        let px = x + offset + dx * scale + i, py = y + dy * scale + j
                        guard px >= 0, py >= 0, px < width, py < height else { continue }
                        self[px, py] = self[px, py].blended(with: color, alpha: alpha)
                    }
                }
            }
        }
    }

    /// Writes `text` turned a quarter anticlockwise (read bottom to top), starting at `(x, y)`, its bottom-left.
    public mutating func verticalText(_ text: String, x: Int, y: Int, _ color: RGB, scale: Int = 1, font: BitmapFont = .standard) {
        font.forEachPixel(of: text) { dx, dy, alpha in
            for i in 0..<scale {
                for j in 0..<scale {
                    let px = x + dy * scale + i, py = y - dx * scale - j
                    guard px >= 0, py >= 0, px < width, py < height else { continue }
                    self[px, py] = self[px, py].blended(with: color, alpha: alpha)
                }
            }
        }
    }
}
