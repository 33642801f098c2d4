/// The charts of a run's curves, shared by `progress.png` and the report so that both draw the same thing.
extension TrainingCurves {
    /// What the charts' x axis counts.
    public enum Axis: Sendable {
        case step
        /// Wall time (steps and validations), in minutes when the run is longer than two, else in seconds.
        case wallTime
    }

    private func timeScale() -> (divisor: Double, unit: String) {
        (wallSeconds.last ?? 0) > 120 ? (60, "min") : (1, "s")
    }

    private func xs(_ axis: Axis) -> [Double] {
        switch axis {
        case .step: return steps
        case .wallTime: let d = timeScale().divisor; return wallSeconds.map { $0 / d }
        }
    }

    private func label(_ axis: Axis) -> String {
        switch axis {
        case .step: return "step"
        case .wallTime: return "wall time (\(timeScale().unit)), steps and validations"
        }
    }

    public static let rawLossColor = RGB(hex: 0xA6CEE3)
    public static let smoothedLossColor = RGB(hex: 0x1F78B4)
    public static let learningRateColor = RGB(hex: 0x6A3D9A)

    /// From the run's start to its last record, so that charts against the same axis line up.
    private func xRange(_ axis: Axis) -> ClosedRange<Double> {
        0...max(axis == .step ? Double(lastStep) : (wallSeconds.last ?? 0) / timeScale().divisor, 1e-9)
    }

    public func lossChart(against axis: Axis) -> LineChart {
        var chart = LineChart(title: "Training loss", xLabel: label(axis), yLabel: "loss", series: [
            .init(name: "per step", color: Self.rawLossColor, xs: xs(axis), ys: loss),
            .init(name: "smoothed", color: Self.smoothedLossColor, xs: xs(axis), ys: smoothedLoss, thickness: 2),
        ])
        chart.xRange = xRange(axis)
        return chart
    }

    /// Dice per foreground class and their mean, at each validation.
    public func diceChart(against axis: Axis) -> LineChart {
        let d = timeScale().divisor
        let x = validations.map { axis == .step ? Double($0.step) : $0.wallSeconds / d }
        let classes = validations.map(\.dice.count).max() ?? 0
        var series = (1..<max(classes, 1)).map { k in
            LineChart.Series(name: "class \(k)", color: LabelPalette.color(of: k), xs: x,
                             ys: validations.map { k < $0.dice.count ? $0.dice[k] : .nan }, markers: true)
        }
        series.append(.init(name: "mean foreground", color: .black, xs: x, ys: validations.map(\.foregroundDice), thickness: 2,
                            markers: true))
        var chart = LineChart(title: "Validation Dice", xLabel: label(axis), yLabel: "Dice", series: series, yRange: 0...1)
        chart.xRange = xRange(axis)
        return chart
    }

    /// The learning rate; `stages` shade the steps each patch size trained for (one band per stage).
    public func learningRateChart(stages: [LineChart.Band] = []) -> LineChart {
        var chart = LineChart(title: "Learning rate", xLabel: label(.step), yLabel: "learning rate", series: [
            .init(name: "", color: Self.learningRateColor, xs: steps, ys: learningRate, thickness: 2),
        ])
        chart.bands = stages
        return chart
    }
}

/// `RUN/progress.png`: loss and validation Dice against steps, redrawn by `fit` after every validation from the
/// curves it keeps as it goes (the picture nnU-Net keeps as `progress.png`). Its size and memory are
/// `ValidationMemory.progressPicture`'s.
public enum ProgressChart {
    public static func render(_ curves: TrainingCurves) -> Raster {
        let (width, height) = ValidationMemory.progressPicture
        var raster = Raster(width: width, height: height)
        curves.lossChart(against: .step).draw(into: &raster, frame: (0, 0, width / 2, height))
        curves.diceChart(against: .step).draw(into: &raster, frame: (width / 2, 0, width - width / 2, height))
        return raster
    }
}
