import Foundation
@testable import PatchTrain
import Testing

/// The chart rasteriser: round ticks, lines where the data say, text where it is written.
struct LineChartTests {
    @Test func ticksAreRoundAndCoverTheData() {
        let dice = AxisTicks(lower: 0, upper: 1, count: 5)
        #expect(dice.step == 0.2 && dice.lower == 0 && dice.upper == 1 && dice.values.count == 6)
        #expect(dice.values.map(dice.label) == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        let steps = AxisTicks(lower: 1, upper: 1000, count: 6)
        #expect(steps.step == 200 && steps.lower == 0 && steps.upper == 1000 && steps.label(400) == "400")
        let loss = AxisTicks(lower: 0.913, upper: 1.37, count: 5)
        #expect(loss.step == 0.1 && loss.lower <= 0.913 && loss.upper >= 1.37 && loss.label(1.2) == "1.2")
        let run = AxisTicks(lower: 0, upper: 62, count: 6, widened: false)
        #expect(run.lower == 0 && run.upper == 62 && run.values == [0, 20, 40, 60], "an x axis ends where the data do")
        let flat = AxisTicks(lower: 3e-3, upper: 3e-3)
        #expect(flat.lower < 3e-3 && flat.upper > 3e-3)
    }

    @Test func aSeriesIsDrawnThroughItsPointsAndNowhereElse() {
        let color = RGB(hex: 0x123456)
        let chart = LineChart(title: "t", xLabel: "x", yLabel: "y",
                              series: [.init(name: "", color: color, xs: [0, 10, 20], ys: [0, 10, 0])])
        var raster = Raster(width: 300, height: 200)
        let frame = (x: 0, y: 0, width: 300, height: 200)
        chart.draw(into: &raster, frame: frame)
        let layout = chart.layout(frame: frame, scale: 1)
        // The segments in pixels; a one-pixel line is their points rounded to the grid, so every drawn pixel lies
        // within one pixel of a segment, and every point of a segment has a drawn pixel within one pixel.
        let corners = [(0.0, 0.0), (10, 10), (20, 0)].map { layout.pixel(x: $0.0, y: $0.1) }
        func distance(_ x: Double, _ y: Double) -> Double {
            zip(corners, corners.dropFirst()).map { a, b in
                let (dx, dy) = (b.x - a.x, b.y - a.y)
                let t = max(0, min(1, ((x - a.x) * dx + (y - a.y) * dy) / (dx * dx + dy * dy)))
                return ((x - a.x - t * dx) * (x - a.x - t * dx) + (y - a.y - t * dy) * (y - a.y - t * dy)).squareRoot()
            }.min()!
        }
        var drawn = 0
        for y in 0..<200 { for x in 0..<300 where raster[x, y] == color {
            drawn += 1
            #expect(distance(Double(x), Double(y)) <= 1, "stray pixel at (\(x), \(y))")
        } }
        #expect(drawn > 200)
        for i in 0...200 {
            let x = Double(i) / 10, y = x <= 10 ? x : 20 - x
            let p = layout.pixel(x: x, y: y)
            let (px, py) = (Int(p.x.rounded()), Int(p.y.rounded()))
            let near = (-1...1).contains { dx in (-1...1).contains { dy in raster[px + dx, py + dy] == color } }
            #expect(near, "no line near x = \(x)")
        }
        // Far from the line (the plot's top corners, the middle of the bottom), it is not.
        let plot = layout.plot
        for (x, y) in [(plot.x + 3, plot.y + 3), (plot.x + plot.width - 4, plot.y + 3), (plot.x + plot.width / 2, plot.y + plot.height - 6)] {
            #expect(raster[x, y] != color)
        }
        #expect(raster.pixels.count == 300 * 200 * 3)
    }

    @Test func textIsDrawnInsideItsWidthAndTheFontCoversPrintableASCII() {
        let font = BitmapFont.standard
        #expect(font.width(of: "Dice 0.5") > 0 && font.width(of: "ab") == font.width(of: "a") + font.width(of: "b"))
        #expect(font.width(of: "é") == font.width(of: "?"))
        var raster = Raster(width: 120, height: 30)
        raster.text("Dice 0.5", x: 10, y: 5, .black)
        var inked: [(Int, Int)] = []
        for y in 0..<30 { for x in 0..<120 where raster[x, y] != .white { inked.append((x, y)) } }
        #expect(inked.count > 30)
        #expect(inked.allSatisfy { $0.0 >= 10 && $0.0 < 10 + font.width(of: "Dice 0.5") + 2 && $0.1 >= 5 && $0.1 < 5 + font.lineHeight })
    }
}
