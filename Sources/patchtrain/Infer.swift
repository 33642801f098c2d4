import ArgumentParser
import Foundation
import PatchTrain

/// `patchtrain infer`: sliding-window inference over whole volumes, in memory planned like training's.
struct Infer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Segment volumes by sliding-window inference, stitched with weighted overlap, within a RAM budget.",
        discussion: "Writes OUT/CASE.npy (uint8 labels, the input's shape) or OUT/CASE.nii.gz, and with --probabilities OUT/CASE_probabilities.npy (fp16).")

    @Option(name: .long, help: "A checkpoint folder (RUN/best, RUN/last) or its weights.safetensors.")
    var model: String

    @Option(name: .long, help: "A volume (.npy, .nii, .nii.gz), a folder of them, or a dataset folder (its images/).")
    var input: String

    @Option(name: .long, help: "Output folder (created if missing).")
    var out: String

    @Option(name: .long, help: "Budget for the whole process's peak RSS (2G, 512M). Default: the memory available.")
    var ram: String?

    @Option(name: .long, help: "Window XxYxZ (multiples of 16). Default: the cheapest cover that fits the budget.")
    var window: String?

    @Option(name: .long, help: "Overlap between neighbouring windows, in [0, 1).")
    var overlap: Double = 0.5

    @Option(name: .long, help: "Blending of overlapping windows: gaussian or constant.")
    var blend: String = "gaussian"

    @Option(name: .customLong("windows-per-batch"), help: "Windows per forward pass.")
    var windowsPerBatch: Int = 1

    @Flag(name: .long, help: "Test-time augmentation: average the 8 mirrorings of every window (8× the compute).")
    var tta = false

    @Flag(name: .long, help: "Also write the fp16 class probabilities.")
    var probabilities = false

    @Option(name: .long, help: "Label map format: npy or nifti.")
    var format: String = "npy"

    @Option(name: .long, help: "Also write DIR/CASE.png: three slices of the image with the predicted labels over them.")
    var preview: String?

    @Flag(name: .long, help: "Print the summary as JSON on stdout.")
    var json = false

    func validate() throws {
        if let ram, ByteCount.parse(ram) == nil { throw ValidationError("--ram '\(ram)' is not a size (examples: 2G, 512M)") }
        if let window, Extent3(parsing: window) == nil { throw ValidationError("--window '\(window)' is not XxYxZ") }
        guard overlap >= 0, overlap < 1 else { throw ValidationError("--overlap must be in [0, 1)") }
        guard BlendMode(rawValue: blend) != nil else { throw ValidationError("--blend must be gaussian or constant") }
        guard PredictionWriter.LabelFormat(rawValue: format) != nil else { throw ValidationError("--format must be npy or nifti") }
        guard windowsPerBatch >= 1 else { throw ValidationError("--windows-per-batch must be at least 1") }
    }

    func run() throws {
        // Measured first, before the model is loaded, so that the runtime's figure holds only the runtime.
        let fixed = try RuntimeBaseline.measure()
        let model = try TrainedModel(path: model)
        let configuration = model.configuration
        let cases = try InferenceInputs.open(input)
        for item in cases where item.volume.shape.channels != configuration.inputChannels {
            throw InputError(item.volume.path, "has \(item.volume.shape.channels) channel(s), the model takes \(configuration.inputChannels)")
        }
        var largest = Extent3.zero
        for item in cases { for a in 0..<3 { largest[a] = max(largest[a], item.volume.shape.spatial[a]) } }

        let labelFormat = PredictionWriter.LabelFormat(rawValue: format)!
        let planner = InferencePlanner(configuration: configuration, volume: largest, overlap: overlap,
                                       blend: BlendMode(rawValue: blend)!, mirroring: tta,
                                       output: InferenceOutput(labelsWholeVolume: labelFormat == .nifti, probabilities: probabilities),
                                       fixed: fixed)
        let budget = try TrainingBudget(ram: ram)
        let fixedWindow = try window.map { text -> Extent3 in
            let w = Extent3(parsing: text)!
            let m = configuration.patchMultiple
            guard (0..<3).allSatisfy({ w[$0] > 0 && w[$0] % m == 0 }) else {
                throw InputError("--window \(text)", "every edge must be a positive multiple of \(m)")
            }
            return w
        }
        let plan: InferencePlan
        switch planner.choose(budget: budget.bytes, window: fixedWindow, windowsPerBatch: windowsPerBatch) {
        case .fits(let chosen):
            plan = chosen
        case .tooSmall(let smallest):
            throw InputError(budget.source, "budget \(ByteCount.format(budget.bytes)) is too small: inference with window \(smallest.window) needs \(ByteCount.format(smallest.predictedPeakBytes))")
        }

        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            throw RuntimeFailure("\(out): cannot create the output folder (\(error.localizedDescription))")
        }
        let inference = try SlidingWindowInference(plan: plan, parameters: model.parameters)
        let passes = cases.reduce(0) { total, item in
            total + SlidingWindow(volume: item.volume.shape.spatial, window: plan.window, overlap: overlap).count * (tta ? 8 : 1)
        }
        // Quiet for the first second, so that a quick failure leaves its one error line alone on stderr.
        let progress = ProgressBar(label: "infer", total: passes, unit: "windows", quietPeriod: 1)
        var before = 0
        var results: [InferredCase] = []
        for item in cases {
            let started = Date()
            let writer = try PredictionWriter(folder: out, stem: item.stem, extent: item.volume.shape.spatial,
                                              classes: configuration.classes, format: labelFormat,
                                              probabilities: probabilities, reference: item.niftiHeader)
            var windows = 0
            try inference.infer(item.volume, plane: { x, plane in try writer.append(plane: x, probabilities: plane) },
                                progress: { done, _ in windows = done; progress.update(completed: before + done) })
            try writer.finish()
            if let preview { try SlicePreview.writePrediction(image: item.volume, labelsFile: writer.labelsPath, folder: preview, stem: item.stem) }
            before += windows
            let peak = ProcessMemory.peakResidentBytes
            results.append(InferredCase(input: item.volume.path, labels: writer.labelsPath, probabilities: writer.probabilitiesPath,
                                        shape: item.volume.shape.spatial.description, passes: windows,
                                        seconds: Date().timeIntervalSince(started)))
            if peak > budget.bytes {
                progress.finish()
                throw RuntimeFailure("peak RSS \(ByteCount.format(peak)) went over the budget \(ByteCount.format(budget.bytes)) while inferring \(item.volume.path) (predicted \(ByteCount.format(plan.predictedPeakBytes)))")
            }
        }
        progress.finish()
        let summary = InferSummary(plan: plan, window: plan.window.description, overlap: overlap, blend: blend, tta: tta,
                                   windowsPerBatch: plan.windowsPerBatch, cases: results,
                                   predictedPeakBytes: plan.predictedPeakBytes, measuredPeakBytes: ProcessMemory.peakResidentBytes,
                                   budgetBytes: budget.bytes)
        try summary.print(json: json)
    }
}

struct InferredCase: Encodable {
    let input: String
    let labels: String
    let probabilities: String?
    let shape: String
    let passes: Int
    let seconds: Double
}

struct InferSummary: CommandSummary {
    let plan: InferencePlan
    let window: String
    let overlap: Double
    let blend: String
    let tta: Bool
    let windowsPerBatch: Int
    let cases: [InferredCase]
    let predictedPeakBytes: Int
    let measuredPeakBytes: Int
    let budgetBytes: Int

    var text: String {
        var lines = cases.map { String(format: "%@  %@  %d passes  %.1f s  → %@", $0.input, $0.shape, $0.passes, $0.seconds, $0.labels) }
        lines.append("window \(window), overlap \(overlap), \(blend) blend\(tta ? ", 8 mirrorings" : ""), \(windowsPerBatch) window(s) per pass")
        let m = plan.memory, b = ByteCount.format
        lines.append("planned: runtime \(b(plan.fixed.total)) + weights \(b(m.weightBytes)) + max(loading \(b(m.loadingBytes)), "
                     + "arena \(b(m.arenaBytes)) + stitching \(b(m.stitchBytes)) + input \(b(m.inputBytes)) + reader \(b(m.readerBytes)) + output \(b(m.outputBytes)))")
        let error = Double(predictedPeakBytes - measuredPeakBytes) / Double(max(measuredPeakBytes, 1)) * 100
        lines.append("peak RSS measured \(ByteCount.format(measuredPeakBytes)), predicted \(ByteCount.format(predictedPeakBytes)) "
                     + String(format: "(%+.1f%% of measured), budget %@", error, ByteCount.format(budgetBytes)))
        return lines.joined(separator: "\n") + "\n"
    }
}
