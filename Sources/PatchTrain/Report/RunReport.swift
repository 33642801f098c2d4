import Foundation

/// `patchtrain report`: one self-contained HTML page of a run — its curves, its memory plan against the measured
/// peak, slices of its validation cases with truth and prediction, and its configuration with the command that
/// trains it again. Everything is read from the run folder (without its lock: a running `fit` may be writing
/// it); the slices' labels are those the latest validation saved, so no inference runs here.
public struct RunReport: Sendable {
    public let files: RunFiles
    public let configuration: RunConfiguration
    public let plan: MemoryPlan
    public let curves: TrainingCurves
    /// Up to the number asked for, in the run's validation order; cases not validated yet are missing.
    public let cases: [ValidationSlices]

    public init(run path: String, cases limit: Int = 4) throws {
        files = RunFiles(path)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: files.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw InputError(files.path, "no such run folder")
        }
        configuration = try RunFolder.readJSON(files.configuration, what: "run configuration")
        plan = try RunFolder.readJSON(files.plan, what: "plan")
        curves = try TrainingCurves.read(metrics: files.metricsJSON).finished
        var found: [ValidationSlices] = []
        for id in (configuration.validationCases ?? []).prefix(max(limit, 0)) {
            let file = "\(files.validationSlices)/\(id).json"
            guard FileManager.default.fileExists(atPath: file) else { continue }
            let slices: ValidationSlices = try RunFolder.readJSON(file, what: "validation slices file")
            try slices.check(file)
            found.append(slices)
        }
        cases = found
    }

    /// The report's charts at their size in the page.
    public static let chartSize = (width: 600, height: 300)
    public static let learningRateChartSize = (width: 1210, height: 240)

    /// The patch-size stages over the steps, for the learning-rate chart: one stage, the plan's patch, throughout.
    var stages: [LineChart.Band] {
        [LineChart.Band(lower: 0, upper: Double(max(configuration.steps, 1)), label: "patch \(plan.patch), micro-batch \(plan.microBatch) x \(plan.accumulationSteps)",
                        color: RGB(hex: 0xF2F2F8))]
    }

    func chart(_ chart: LineChart, size: (width: Int, height: Int), id: String) throws -> String {
        var raster = Raster(width: size.width, height: size.height)
        chart.draw(into: &raster, frame: (0, 0, size.width, size.height))
        return HTML.image(png: try raster.pngBytes(), width: size.width, height: size.height, alt: chart.title, id: id)
    }

    /// Writes the page to `path` atomically.
    public func write(to path: String) throws {
        try AtomicFile.write(Array(try html().utf8), to: path)
    }
}

extension ValidationSlices {
    /// Throws unless every plane has the size its extent gives (a file cut short or edited by hand).
    func check(_ file: String) throws {
        let sizes = (0..<3).map { a in extent[OrthogonalSlices<UInt8>.axes(of: a).u] * extent[OrthogonalSlices<UInt8>.axes(of: a).v] }
        guard truth.map(\.count) == sizes, prediction.map(\.count) == sizes,
              (0..<3).allSatisfy({ center[$0] >= 0 && center[$0] < extent[$0] }) else {
            throw InputError(file, "its slices do not match its extent \(extent)")
        }
    }
}
