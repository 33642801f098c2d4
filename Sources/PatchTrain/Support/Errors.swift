/// Bad input: a file that is missing, malformed, or does not match what it is paired with.
/// The CLI prints `file: problem` as one line on stderr and exits with code 2.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file (or folder) at fault, as the user named it.
    public let file: String
    /// What is wrong with it, in a few words, lower case, no trailing period.
    public let problem: String

    /// Both parts are kept to one line (control characters escaped) and a bounded length, because either may echo
    /// bytes from a malformed file.
    public init(_ file: String, _ problem: String) {
        self.file = OneLine.escaped(file, limit: 1024)
        self.problem = OneLine.escaped(problem, limit: 600)
    }

    public var description: String { "\(file): \(problem)" }
}

/// A failure of the run itself (I/O error while writing, out of memory budget, interrupted):
/// the CLI prints it as one line and exits with code 1.
public struct RuntimeFailure: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
