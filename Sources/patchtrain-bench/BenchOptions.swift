/// `--name value` options, plainly parsed: benchmarks are run by people who read the usage line.
struct BenchOptions {
    struct UsageError: Error {
        let message: String
    }

    private var values: [String: String] = [:]
    private var used: Set<String> = []

    init(parsing arguments: [String]) throws {
        var i = 0
        while i < arguments.count {
            let key = arguments[i]
            guard key.hasPrefix("--"), key.count > 2 else { throw UsageError(message: "unexpected argument '\(key)'") }
            guard i + 1 < arguments.count else { throw UsageError(message: "\(key) needs a value") }
            values[String(key.dropFirst(2))] = arguments[i + 1]
            i += 2
        }
    }

    func string(_ name: String) throws -> String {
        guard let value = values[name] else { throw UsageError(message: "missing --\(name)") }
        return value
    }

    func string(_ name: String, default fallback: String) -> String { values[name] ?? fallback }

    func int(_ name: String, default fallback: Int, atLeast minimum: Int = 1) throws -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text), value >= minimum else {
            throw UsageError(message: "--\(name) must be a whole number ≥ \(minimum), got '\(text)'")
        }
        return value
    }

    func double(_ name: String, default fallback: Double) throws -> Double {
        guard let text = values[name] else { return fallback }
        guard let value = Double(text) else { throw UsageError(message: "--\(name) must be a number, got '\(text)'") }
        return value
    }

    /// Rejects options no benchmark asked for (typos), given the names the benchmark knows.
    func checkOnly(_ known: Set<String>) throws {
        if let unknown = values.keys.sorted().first(where: { !known.contains($0) }) {
            throw UsageError(message: "unknown option --\(unknown)")
        }
    }
}
