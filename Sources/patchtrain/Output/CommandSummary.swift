/// What a command prints on stdout: a text for people, the same as JSON (`JSONOutput`) for programs.
/// `OutputOptions.print` chooses between them.
protocol CommandSummary: Encodable {
    var text: String { get }
}
