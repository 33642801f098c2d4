/// A colour of 8 bits per channel.
public struct RGB: Hashable, Sendable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// `0xRRGGBB`.
    public init(hex: Int) {
        self.init(UInt8((hex >> 16) & 0xFF), UInt8((hex >> 8) & 0xFF), UInt8(hex & 0xFF))
    }

    public init(grey: UInt8) { self.init(grey, grey, grey) }

    public static let white = RGB(255, 255, 255)
    public static let black = RGB(0, 0, 0)

    /// `other` laid over this colour with opacity `alpha` (0: this colour, 1: `other`), rounded to the nearest.
    public func blended(with other: RGB, alpha: Double) -> RGB {
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) * (1 - alpha) + Double(b) * alpha).rounded()) }
        return RGB(mix(r, other.r), mix(g, other.g), mix(b, other.b))
    }

    /// `#rrggbb`, for HTML.
    public var hexString: String {
        let digits = Array("0123456789abcdef")
        return "#" + String([r, g, b].flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }
}
