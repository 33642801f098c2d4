import ArgumentParser
import Foundation
import PatchTrain

/// `patchtrain inspect DIR`: lists a dataset and checks it completely (headers, then every voxel), so that a
/// training run never discovers a bad case halfway through. The report goes to stdout; each problem is one
/// `patchtrain: error: file: problem` line on stderr, and any problem makes the exit code 2.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a dataset's cases, shapes, class fractions and every problem found."
    )

    @Argument(help: "Dataset folder (images/ with masks/ or labels/, or a manifest.json inside), or a manifest .json file.")
    var dataset: String

    @OptionGroup var output: OutputOptions

    @Option(help: "Number of classes (default: the manifest's, else the one-hot masks' channel count, else the largest label + 1).")
    var classes: Int?

    @Option(help: ArgumentHelp("Validation split to show when there is no manifest list: a count (3) or a share (0.2 or 20%).",
                               valueName: "n|share"))
    var validation: SplitArgument?

    func validate() throws {
        if let classes, classes < 1 { throw ValidationError("--classes must be at least 1") }
    }

    func run() throws {
        let data = try Dataset(path: dataset, classes: classes, split: validation?.split)
        let check = data.check()
        // Quiet for a second: a small dataset's scan prints nothing but its problems.
        let progress = ProgressBar(label: "inspect", total: check.cases.count, unit: "cases", quietPeriod: 1)
        let scan = DatasetScan(check.cases.map(\.trainingCase), classes: check.classes) { done, _, _ in
            progress.update(completed: done)
        }
        progress.finish()
        let problems = check.problems + scan.problems
        let report = InspectReport(dataset: data, check: check, scan: scan, problems: problems)
        try output.print(report)
        for problem in problems { Terminal.printError("patchtrain: error: \(problem)") }
        if !problems.isEmpty { throw ExitCode(2) }
    }
}
