/// A value out of range in a structured file (a JSON field, a header entry), found while decoding: the reader that
/// knows the file's name turns it into an `InputError` naming both.
struct FieldProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field, as the file spells it (`microBatch`, `configuration.classes`).
    let field: String
    let problem: String

    init(_ field: String, _ problem: String) {
        self.field = field
        self.problem = problem
    }

    var description: String { "'\(field)' \(problem)" }

    /// Throws unless `value` lies in `range`.
    static func check(_ field: String, _ value: Int, in range: ClosedRange<Int>) throws {
        guard range.contains(value) else { throw FieldProblem(field, "is \(value), must be \(range.lowerBound)...\(range.upperBound)") }
    }
}
