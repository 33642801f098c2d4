import ArgumentParser
import Foundation
import PatchTrain

/// `patchtrain synth`: writes a synthetic BraTS-like dataset, so every other command can be tried (and tested)
/// without downloading real scans.
struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a synthetic BraTS-like dataset in the Keras user's .npy layout.",
        discussion: """
            Writes DIR/images/case_000.npy (float32 (x,y,z,1)) and DIR/masks/case_000.npy (float32 one-hot \
            (x,y,z,4): background, core, edema, enhancing), or with --labels DIR/labels/case_000.npy \
            (uint8 (x,y,z)). The same seed and shape give the same bytes.
            """
    )

    /// Below this edge a brain with a three-layer lesion no longer fits in a meaningful way.
    static let smallestEdge = 16

    @Option(name: .long, help: ArgumentHelp("Output folder (created if missing).", valueName: "dir"))
    var out: String

    @Option(name: .long, help: "Number of cases to write.")
    var cases: Int

    @Option(name: .long, help: ArgumentHelp("Volume shape XxYxZ.", valueName: "shape"))
    var shape = Extent3(240, 240, 160)

    @Option(name: .long, help: "Random seed; the same seed gives the same data.")
    var seed: UInt64 = 0

    @Flag(name: .long, help: "Write uint8 label maps to DIR/labels instead of one-hot float32 masks.")
    var labels = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard cases >= 1 else { throw ValidationError("--cases must be at least 1, got \(cases)") }
        guard (0..<3).allSatisfy({ shape[$0] >= Self.smallestEdge }) else {
            throw ValidationError("--shape \(shape) is too small: every edge must be at least \(Self.smallestEdge)")
        }
        guard !out.isEmpty else { throw ValidationError("--out must name a folder") }
    }

    func run() throws {
        let dataset = SyntheticDataset(folder: out, shape: shape, seed: seed, caseCount: cases,
                                       maskLayout: labels ? .labels : .oneHot)
        try dataset.createFolders()
        let progress = ProgressBar(label: "synth", total: cases, unit: "cases")
        let files = try dataset.writeCases(0..<cases) { _, _ in progress.advance() }
        progress.finish()
        try output.print(SynthSummary(dataset: dataset, files: files, seconds: progress.elapsed))
    }
}
