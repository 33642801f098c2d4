/// One benchmark, run as `patchtrain-bench <name> [options]`. To add one: a new file with a type conforming
/// to this protocol, listed in `main.swift`'s `benchmarks`.
protocol Benchmark {
    static var name: String { get }
    /// One line for the usage text.
    static var summary: String { get }
    /// The options, e.g. `--data DIR [--count 1000]`.
    static var usage: String { get }
    /// Runs, prints its results to stdout, and says whether its check passed.
    static func run(_ options: BenchOptions) throws -> Bool
}
