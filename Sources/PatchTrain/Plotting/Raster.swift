/// An RGB picture in memory that charts and slices are drawn into, then encoded as PNG: rows top to bottom,
/// 3 bytes a pixel. Drawing outside the picture is clipped, so callers need not check bounds.
public struct Raster: Sendable {
    public let width: Int
    public let height: Int
    public private(set) var pixels: [UInt8]

    public init(width: Int, height: Int, background: RGB = .white) {
        precondition(width > 0 && height > 0, "a raster has at least one pixel")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        fill(x: 0, y: 0, width: width, height: height, background)
    }

    public subscript(x: Int, y: Int) -> RGB {
        get {
            let i = (y * width + x) * 3
            return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            let i = (y * width + x) * 3
            pixels[i] = newValue.r
            pixels[i + 1] = newValue.g
            pixels[i + 2] = newValue.b
        }
    }

    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, _ color: RGB) {
        let x0 = max(x, 0), y0 = max(y, 0), x1 = min(x + w, width), y1 = min(y + h, height)
        guard x0 < x1, y0 < y1 else { return }
        for row in y0..<y1 {
            for column in x0..<x1 { self[column, row] = color }
        }
    }

    /// A straight line `thickness` pixels wide between two points given in pixel coordinates (fractions allowed).
    public mutating func line(from a: (x: Double, y: Double), to b: (x: Double, y: Double), _ color: RGB, thickness: Int = 1) {
        let steps = max(Int(max(abs(b.x - a.x), abs(b.y - a.y)).rounded(.up)), 1)
        let before = (thickness - 1) / 2
        for i in 0...steps {
            let t = Double(i) / Double(steps)
            let x = Int((a.x + (b.x - a.x) * t).rounded()), y = Int((a.y + (b.y - a.y) * t).rounded())
            fill(x: x - before, y: y - before, width: thickness, height: thickness, color)
        }
    }

    /// A one-pixel rectangle outline.
    public mutating func frame(x: Int, y: Int, width w: Int, height h: Int, _ color: RGB) {
        fill(x: x, y: y, width: w, height: 1, color)
        fill(x: x, y: y + h - 1, width: w, height: 1, color)
        fill(x: x, y: y, width: 1, height: h, color)
        fill(x: x + w - 1, y: y, width: 1, height: h, color)
    }

    /// Copies `other` with its top-left corner at `(x, y)`.
    public mutating func place(_ other: Raster, x: Int, y: Int) {
        for row in 0..<other.height {
            for column in 0..<other.width { self[x + column, y + row] = other[column, row] }
        }
    }

    /// The PNG file of this picture.
    public func pngBytes() throws -> [UInt8] { try PNGEncoder.encode(rgb: pixels, width: width, height: height) }

    /// Writes the PNG file of this picture to `path`, atomically.
    public func writePNG(to path: String) throws { try PNGEncoder.write(rgb: pixels, width: width, height: height, to: path) }
}
