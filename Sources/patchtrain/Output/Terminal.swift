import Foundation
import PatchTrain

/// The CLI's edge to the terminal: results to stdout, progress and errors to stderr.
enum Terminal {
    static func printError(_ text: String) {
        let line = text.hasSuffix("\n") ? text : text + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Prints `patchtrain: error: <first line of message>` and exits with `code`.
    static func fail(_ message: String, code: Int32) -> Never {
        let firstLine = message.split(separator: "\n").first.map(String.init) ?? message
        // One rank failing ends the whole job: the others may be waiting for it in a collective.
        if let world = World.current, world.isDistributed {
            printError("patchtrain: error (\(world.rankName)): \(firstLine)")
            world.abort(code: code)
        }
        printError("patchtrain: error: \(firstLine)")
        exit(code)
    }

    /// A usage error on one line (ArgumentParser's messages may span several, e.g. listing the values an option
    /// takes), then exit 2.
    static func usageError(_ message: String, command: String?) -> Never {
        let text = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        let help = command.map { "patchtrain \($0) --help" } ?? "patchtrain --help"
        printError("patchtrain: error: \(text) (see `\(help)`)")
        exit(2)
    }

    /// Whether stderr is a terminal (progress bars) or a pipe/file (plain lines).
    static var standardErrorIsTerminal: Bool { isatty(2) == 1 }
}
