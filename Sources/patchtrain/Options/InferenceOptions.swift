import ArgumentParser
import PatchTrain

/// How `infer` covers and writes its volumes: the library's `InferenceSettings`, as options.
struct InferenceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Window XxYxZ (multiples of 16). Default: the cheapest cover that fits the budget.",
                                            valueName: "XxYxZ"))
    var window: Extent3?

    @Option(name: .long, help: "Overlap between neighbouring windows, in [0, 1).")
    var overlap: Double = 0.5

    @Option(name: .long, help: "Blending of overlapping windows.")
    var blend: BlendMode = .gaussian

    @Option(name: .customLong("windows-per-batch"), help: "Windows per forward pass.")
    var windowsPerBatch: Int = 1

    @Flag(name: .long, help: "Test-time augmentation: average the 8 mirrorings of every window (8× the compute).")
    var tta = false

    @Flag(name: .long, help: "Also write the fp16 class probabilities.")
    var probabilities = false

    @Option(name: .long, help: "Label map format (default: nifti for an nnU-Net, Decathlon or BraTS dataset, else npy).")
    var format: PredictionWriter.LabelFormat?

    @Option(name: .long, help: ArgumentHelp("Also write DIR/CASE.png: three slices of the image with the predicted labels over them.",
                                            valueName: "DIR"))
    var preview: String?

    /// The settings for inferring `input`, whose kind decides the label format when `--format` is not given.
    func settings(for input: String) -> InferenceSettings {
        InferenceSettings(window: window, overlap: overlap, blend: blend, windowsPerBatch: windowsPerBatch,
                          mirroring: tta, probabilities: probabilities, format: format ?? InferenceInputs.defaultFormat(for: input),
                          previewFolder: preview)
    }

    func validate() throws {
        guard overlap >= 0, overlap < 1 else { throw ValidationError("--overlap must be in [0, 1)") }
        try OptionRange.check("--windows-per-batch", windowsPerBatch, in: PlanLimits.microBatch)
        if let window { try OptionRange.check("--window", window) }
    }
}
