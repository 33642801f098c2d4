/// A chart of lines against a shared x axis, drawn into a `Raster`: axes with round ticks, a title with the legend
/// beside it (above the plot, so it never hides data), axis labels, and optional shaded x-intervals (the patch-size stages of a run, say). It is a value describing what
/// to draw; `draw(into:frame:)` lays it out in the frame given, so the same chart fits a thumbnail or a report.
public struct LineChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var color: RGB
        public var xs: [Double]
        public var ys: [Double]
        public var thickness: Int
        /// Draw a square at each point (for sparse series such as validations).
        public var markers: Bool

        public init(name: String, color: RGB, xs: [Double], ys: [Double], thickness: Int = 1, markers: Bool = false) {
            precondition(xs.count == ys.count, "a series has one y per x")
            self.name = name
            self.color = color
            self.xs = xs
            self.ys = ys
            self.thickness = thickness
            self.markers = markers
        }
    }

    /// A shaded interval of x with a label at its top.
    public struct Band: Sendable {
        public var lower: Double
        public var upper: Double
        public var label: String
        public var color: RGB
        public init(lower: Double, upper: Double, label: String, color: RGB) {
            self.lower = lower
            self.upper = upper
            self.label = label
            self.color = color
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var bands: [Band] = []
    /// A fixed y range (Dice: 0...1); nil fits the data.
    public var yRange: ClosedRange<Double>?
    /// A fixed x range (charts of one run share it, so they line up); nil spans the data and bands.
    public var xRange: ClosedRange<Double>?

    public init(title: String, xLabel: String, yLabel: String, series: [Series], yRange: ClosedRange<Double>? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.yRange = yRange
    }

    /// Where the data go in a frame: the plot area and the axes' ticks.
    public struct Layout: Sendable {
        public var plot: (x: Int, y: Int, width: Int, height: Int)
        public var xTicks: AxisTicks
        public var yTicks: AxisTicks

        /// The pixel of data point `(x, y)`.
        public func pixel(x: Double, y: Double) -> (x: Double, y: Double) {
            let px = Double(plot.x) + (x - xTicks.lower) / (xTicks.upper - xTicks.lower) * Double(plot.width - 1)
            let py = Double(plot.y + plot.height - 1) - (y - yTicks.lower) / (yTicks.upper - yTicks.lower) * Double(plot.height - 1)
            return (px, py)
        }
    }

    public func layout(frame: (x: Int, y: Int, width: Int, height: Int), scale: Int) -> Layout {
        let finite = series.flatMap { s in zip(s.xs, s.ys).filter { $0.0.isFinite && $0.1.isFinite } }
        let xs = finite.map(\.0) + bands.flatMap { [$0.lower, $0.upper] }
        let ys = finite.map(\.1)
        let xTicks = xRange.map { AxisTicks(lower: $0.lowerBound, upper: $0.upperBound, count: 6, widened: false) }
            ?? AxisTicks(lower: xs.min() ?? 0, upper: xs.max() ?? 1, count: 6, widened: false)
        let yTicks = yRange.map { AxisTicks(lower: $0.lowerBound, upper: $0.upperBound, count: 5) }
            ?? AxisTicks(lower: ys.min() ?? 0, upper: ys.max() ?? 1, count: 5)
        let font = BitmapFont.standard
        let line = font.lineHeight * scale
        let tickLabelWidth = yTicks.values.map { font.width(of: yTicks.label($0), scale: scale) }.max() ?? 0
        let left = line + 4 * scale + tickLabelWidth + 4 * scale
        let bottom = 2 * line + 8 * scale
        // Room for half the last x tick label, which is centred on the plot's right edge.
        let right = max(8 * scale, font.width(of: xTicks.label(xTicks.upper), scale: scale) / 2 + 4 * scale)
        let width = max(frame.width - left - right, 2)
        // The legend shares the title's line when both fit, else it takes a line of its own below the title.
        let shared = font.width(of: title, scale: scale) + 20 * scale + legendWidth(scale: scale) <= width
        let top = (shared ? 1 : 2) * line + 8 * scale
        return Layout(plot: (frame.x + left, frame.y + top, width, max(frame.height - top - bottom, 2)),
                      xTicks: xTicks, yTicks: yTicks)
    }

    private static let swatch = 12, legendGap = 14

    private func legendWidth(scale: Int) -> Int {
        let named = series.filter { !$0.name.isEmpty }
        guard !named.isEmpty else { return 0 }
        return named.reduce(0) { $0 + (Self.swatch + 5) * scale + BitmapFont.standard.width(of: $1.name, scale: scale) }
            + Self.legendGap * scale * (named.count - 1)
    }

    public static let axisColor = RGB(hex: 0x333333)
    public static let gridColor = RGB(hex: 0xE4E4E4)

    public func draw(into raster: inout Raster, frame: (x: Int, y: Int, width: Int, height: Int), scale: Int = 1) {
        let font = BitmapFont.standard
        let layout = layout(frame: frame, scale: scale)
        let p = layout.plot
        let line = font.lineHeight * scale
        for band in bands {
            let a = layout.pixel(x: band.lower, y: 0).x, b = layout.pixel(x: band.upper, y: 0).x
            raster.fill(x: Int(a), y: p.y, width: max(Int(b - a), 1), height: p.height, band.color)
            raster.text(band.label, x: Int(a) + 3 * scale, y: p.y + 3 * scale, Self.axisColor, scale: scale)
        }
        for value in layout.yTicks.values {
            let y = Int(layout.pixel(x: layout.xTicks.lower, y: value).y.rounded())
            raster.fill(x: p.x, y: y, width: p.width, height: 1, Self.gridColor)
            let label = layout.yTicks.label(value)
            raster.text(label, x: p.x - 4 * scale - font.width(of: label, scale: scale), y: y - line / 2, Self.axisColor, scale: scale)
        }
        for value in layout.xTicks.values {
            let x = Int(layout.pixel(x: value, y: layout.yTicks.lower).x.rounded())
            raster.fill(x: x, y: p.y, width: 1, height: p.height, Self.gridColor)
            raster.fill(x: x, y: p.y + p.height, width: 1, height: 3 * scale, Self.axisColor)
            let label = layout.xTicks.label(value)
            raster.text(label, x: x - font.width(of: label, scale: scale) / 2, y: p.y + p.height + 4 * scale, Self.axisColor, scale: scale)
        }
        raster.fill(x: p.x, y: p.y + p.height - 1, width: p.width, height: scale, Self.axisColor)
        raster.fill(x: p.x, y: p.y, width: scale, height: p.height, Self.axisColor)
        for s in series {
            let points = zip(s.xs, s.ys).filter { $0.0.isFinite && $0.1.isFinite }.map { layout.pixel(x: $0.0, y: $0.1) }
            for (a, b) in zip(points, points.dropFirst()) { raster.line(from: a, to: b, s.color, thickness: s.thickness * scale) }
            if s.markers || points.count == 1 {
                let side = (s.thickness + 4) * scale
                for point in points { raster.fill(x: Int(point.x) - side / 2, y: Int(point.y) - side / 2, width: side, height: side, s.color) }
            }
        }
        raster.text(title, x: p.x, y: frame.y + 2 * scale, Self.axisColor, scale: scale, bold: true)
        raster.text(xLabel, x: p.x + (p.width - font.width(of: xLabel, scale: scale)) / 2, y: p.y + p.height + line + 6 * scale,
                    Self.axisColor, scale: scale)
        raster.verticalText(yLabel, x: frame.x + scale, y: p.y + (p.height + font.width(of: yLabel, scale: scale)) / 2,
                            Self.axisColor, scale: scale)
        drawLegend(into: &raster, plot: p, scale: scale)
    }

    /// Names with a colour swatch each, in one line ending at the plot's right edge, just above the plot.
    private func drawLegend(into raster: inout Raster, plot p: (x: Int, y: Int, width: Int, height: Int), scale: Int) {
        let font = BitmapFont.standard
        let line = font.lineHeight * scale
        var x = p.x + p.width - legendWidth(scale: scale)
        let y = p.y - line - 4 * scale
        for s in series where !s.name.isEmpty {
            raster.fill(x: x, y: y + line / 2 - scale, width: Self.swatch * scale, height: 3 * scale, s.color)
            raster.text(s.name, x: x + (Self.swatch + 5) * scale, y: y, Self.axisColor, scale: scale)
            x += (Self.swatch + 5) * scale + font.width(of: s.name, scale: scale) + Self.legendGap * scale
        }
    }
}
