import ArgumentParser
import Foundation
import PatchTrain

/// `patchtrain report`: a run folder as one HTML page to look at.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a run's report: curves, memory plan against the measured peak, validation slices, configuration.",
        discussion: """
            One self-contained HTML file (pictures inline, no script, no network) that opens from disk in any browser. \
            The slices are those the run's latest validation saved in RUN/validation/; the images are read from the \
            cases' files.
            """)

    @Argument(help: ArgumentHelp("The run folder (fit --out).", valueName: "run"))
    var runFolder: String

    @Option(name: .long, help: "The HTML file to write (default RUN/report.html).")
    var out: String?

    @Option(name: .long, help: "Validation cases to show, at most (default 4).")
    var cases: Int = 4

    func validate() throws {
        guard cases >= 0 else { throw ValidationError("--cases must be 0 or more") }
    }

    func run() throws {
        let report = try RunReport(run: runFolder, cases: cases)
        let path = out ?? "\(report.files.path)/report.html"
        try report.write(to: path)
        print(path)
    }
}
