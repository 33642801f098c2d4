import ArgumentParser

/// `--json`, shared by every command: its result as text for people, or as JSON for programs.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print the result as JSON on stdout.")
    var json = false

    /// Prints `result` on stdout in the form asked for.
    func print(_ result: some CommandSummary) throws {
        if json {
            Swift.print(try JSONOutput.text(result))
        } else {
            Swift.print(result.text, terminator: "")
        }
    }
}
