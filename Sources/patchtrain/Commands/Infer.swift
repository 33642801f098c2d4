import ArgumentParser
import Foundation
import PatchTrain

/// `patchtrain infer`: sliding-window inference over whole volumes, in memory planned like training's. The run
/// is the library's `InferenceRun`; this parses, shows progress and prints the summary.
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

    @OptionGroup(title: "Budget") var budget: BudgetOptions
    @OptionGroup(title: "Windows and outputs") var inference: InferenceOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let world = try World.join()
        let run = try InferenceRun(model: model, input: input, out: out, budget: try budget.budget(), settings: inference.settings(for: input),
                                   communicator: world)
        // Quiet for the first second, so that a quick failure leaves its one error line alone on stderr.
        // Under mpirun, rank 0 shows its own cases' progress and the summary of all.
        let progress = world.isRoot ? ProgressBar(label: "infer", total: run.totalPasses, unit: "windows", quietPeriod: 1) : nil
        run.onProgress = { progress?.update(completed: $0) }
        let cases = Result { try run.run() }
        progress?.finish()
        let inferred = try cases.get()
        let peak = try world.maximum(ProcessMemory.peakResidentBytes)
        if world.isRoot { try output.print(InferSummary(run: run, cases: inferred, measuredPeakBytes: peak)) }
    }
}
