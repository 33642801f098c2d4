import Foundation

/// One `infer` run: the model and the input volumes opened, a plan that covers the largest of them within the
/// budget, then every volume inferred into `OUT/STEM.npy` (or `.nii.gz`) in turn. The CLI only shows progress
/// and prints the summary.
///
/// Every problem a user can fix (a missing or malformed file, a channel mismatch, a window the network cannot
/// take, a budget below the smallest plan, an output that would overwrite an input or another output) is found
/// before the first window runs.
public final class InferenceRun {
    public let model: TrainedModel
    public let cases: [InferenceInput]
    public let plan: InferencePlan
    public let budget: MemoryBudget
    public let settings: InferenceSettings
    public let outputFolder: String
    /// Called as windows are inferred, with the passes done over all cases so far.
    public var onProgress: ((Int) -> Void)?
    /// Under `mpirun`, rank r infers every `size`-th case from r on; each case's output is what one process writes.
    public let communicator: any Communicator

    public init(model path: String, input: String, out: String, budget: MemoryBudget, settings: InferenceSettings,
                communicator: any Communicator = SingleProcess()) throws {
        self.communicator = communicator
        // Measured first, before the model is loaded, so that the runtime's figure holds only the runtime.
        let fixed = try RuntimeBaseline.measure()
        model = try TrainedModel(path: path)
        let configuration = model.configuration
        cases = try InferenceInputs.open(input)
        for item in cases where item.volume.shape.channels != configuration.inputChannels {
            throw InputError(item.volume.path, "has \(item.volume.shape.channels) channel(s), the model takes \(configuration.inputChannels)")
        }
        for item in cases {
            if let values = item.labelValues, values.count != configuration.classes {
                throw InputError(item.volume.path, "the dataset has \(values.count) labels \(values), the model \(configuration.classes) classes")
            }
        }
        try OutputCollisions.check(cases, out: out, settings: settings)
        var largest = Extent3.zero
        for item in cases { for a in 0..<3 { largest[a] = max(largest[a], item.volume.shape.spatial[a]) } }
        let planner = InferencePlanner(configuration: configuration, volume: largest, overlap: settings.overlap,
                                       blend: settings.blend, mirroring: settings.mirroring,
                                       output: InferenceOutput(labelsWholeVolume: settings.format == .nifti,
                                                               probabilities: settings.probabilities),
                                       fixed: fixed)
        if let window = settings.window { try configuration.checkPatch(window, option: "--window") }
        switch planner.choose(budget: budget.bytes, window: settings.window, windowsPerBatch: settings.windowsPerBatch) {
        case .fits(let chosen): plan = chosen
        case .tooSmall(let smallest): throw budget.tooSmall(smallest)
        }
        self.budget = budget
        self.settings = settings
        outputFolder = out
    }

    /// Network passes the whole run makes, for a progress total.
    public var totalPasses: Int {
        cases.indices.filter(communicator.owns).reduce(0) { $0 + passes(of: cases[$1]) }
    }

    private func passes(of item: InferenceInput) -> Int {
        SlidingWindow(volume: item.volume.shape.spatial, window: plan.window, overlap: plan.overlap).count * (plan.mirroring ? 8 : 1)
    }

    /// Infers every case in order; stops with a runtime failure if the measured peak ever passes the budget.
    public func run() throws -> [InferredCase] {
        do {
            try FileManager.default.createDirectory(atPath: outputFolder, withIntermediateDirectories: true)
        } catch {
            throw RuntimeFailure("\(outputFolder): cannot create the output folder (\(error.localizedDescription))")
        }
        let inference = try SlidingWindowInference(plan: plan, parameters: model.parameters)
        var before = 0
        var seconds = [Double](repeating: 0, count: cases.count)
        let inferred: [InferredCase?] = try cases.enumerated().map { index, item in
            guard communicator.owns(index) else { return nil }
            let started = Date()
            let writer = try PredictionWriter(folder: outputFolder, stem: item.stem, extent: item.volume.shape.spatial,
                                              classes: model.configuration.classes, format: settings.format,
                                              probabilities: settings.probabilities, reference: item.niftiHeader,
                                              labelValues: item.labelValues)
            var passes = 0
            try inference.infer(item.volume, plane: { x, plane in try writer.append(plane: x, probabilities: plane) },
                                progress: { done, _ in passes = done; onProgress?(before + done) })
            // A damaged pack chunk read as zeros: no prediction is written from it.
            try item.volume.checkUnchanged()
            try writer.finish()
            if let folder = settings.previewFolder {
                _ = try SlicePreview.writePrediction(image: item.volume, labelsFile: writer.labelsPath, folder: folder, stem: item.stem)
            }
            before += passes
            let peak = ProcessMemory.peakResidentBytes
            if peak > budget.bytes {
                throw MemoryBudget.breach(peak: peak, budget: budget.bytes, predicted: plan.predictedPeakBytes,
                                          moment: "while inferring \(item.volume.path)")
            }
            seconds[index] = Date().timeIntervalSince(started)
            return InferredCase(input: item.volume.path, labels: writer.labelsPath, probabilities: writer.probabilitiesPath,
                                shape: item.volume.shape.spatial.description, passes: passes, seconds: seconds[index])
        }
        guard communicator.isDistributed else { return inferred.compactMap { $0 } }
        // Every rank reports every case: the other ranks' times, summed in; paths and passes follow from the case.
        let allSeconds = try communicator.sum(seconds)
        return cases.enumerated().map { index, item in
            inferred[index] ?? {
                let paths = PredictionWriter.paths(folder: outputFolder, stem: item.stem, format: settings.format, probabilities: settings.probabilities)
                return InferredCase(input: item.volume.path, labels: paths.labels, probabilities: paths.probabilities,
                                    shape: item.volume.shape.spatial.description, passes: passes(of: item), seconds: allSeconds[index])
            }()
        }
    }
}
