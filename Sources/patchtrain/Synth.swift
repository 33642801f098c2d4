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
    var shape: String = "240x240x160"

    @Option(name: .long, help: "Random seed; the same seed gives the same data.")
    var seed: UInt64 = 0

    @Flag(name: .long, help: "Write uint8 label maps to DIR/labels instead of one-hot float32 masks.")
    var labels = false

    @Flag(name: .long, help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard cases >= 1 else { throw ValidationError("--cases must be at least 1, got \(cases)") }
        guard let extent = Extent3(parsing: shape) else {
            throw ValidationError("--shape '\(shape)' is not XxYxZ with positive integers (e.g. 240x240x160)")
        }
        guard (0..<3).allSatisfy({ extent[$0] >= Self.smallestEdge }) else {
            throw ValidationError("--shape \(extent) is too small: every edge must be at least \(Self.smallestEdge)")
        }
        guard !out.isEmpty else { throw ValidationError("--out must name a folder") }
    }

    struct Summary: Codable {
        var folder: String
        var cases: Int
        var shape: [Int]
        var seed: UInt64
        var masks: String
        var files: [SyntheticDataset.CaseFiles]
        var seconds: Double
        var casesPerSecond: Double
    }

    func run() throws {
        let extent = Extent3(parsing: shape)!  // checked in validate()
        let dataset = SyntheticDataset(folder: out, shape: extent, seed: seed, caseCount: cases,
                                       maskLayout: labels ? .labels : .oneHot)
        try dataset.createFolders()

        let started = ContinuousClock.now
        let progress = ProgressBar(label: "synth", total: cases, unit: "cases")
        let files = try dataset.writeCases(0..<cases) { _, _ in progress.advance() }
        progress.finish()
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18

        let summary = Summary(folder: out, cases: cases, shape: [extent.x, extent.y, extent.z], seed: seed,
                              masks: dataset.maskLayout.rawValue, files: files, seconds: seconds,
                              casesPerSecond: Double(cases) / max(seconds, 1e-9))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            let maskKind = labels ? "uint8 label maps" : "one-hot float32 masks"
            print("wrote \(cases) case\(cases == 1 ? "" : "s") of \(extent) (seed \(seed)) to \(out) "
                + "in \(String(format: "%.2f", seconds)) s (\(ProgressBar.formatRate(summary.casesPerSecond)) cases/s)")
            print("  images: \(dataset.imageFolder)/\(dataset.caseName(0)).npy ... \(dataset.caseName(cases - 1)).npy  float32 (x,y,z,1)")
            print("  \(labels ? "labels" : "masks"): \(dataset.maskFolder)/\(dataset.caseName(0)).npy ... \(dataset.caseName(cases - 1)).npy  \(maskKind)")
        }
    }
}
