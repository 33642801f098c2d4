import Foundation
import PatchTrain

// patchtrain-bench SUBCOMMAND [options]: one benchmark per subcommand, each in its own file.
// Exit codes as the CLI: 0 pass, 1 a benchmark failed its check or the run failed, 2 bad usage or input.

// OpenBLAS misdetects some virtual CPUs and falls back to slow kernels; fix that before it loads (re-executes once).
BLASCoreType.reexecuteWithDetectedCoreTypeIfNeeded()

let benchmarks: [any Benchmark.Type] = [PatchesBenchmark.self, ConvolutionBenchmark.self, ConvolutionBlockBenchmark.self, StepMemoryBenchmark.self, ProfileBenchmark.self]

@MainActor func usage() -> String {
    var text = "usage: patchtrain-bench SUBCOMMAND [options]\n\nsubcommands:\n"
    for benchmark in benchmarks { text += "  \(benchmark.name)  \(benchmark.summary)\n      \(benchmark.usage)\n" }
    return text
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, !["-h", "--help", "help"].contains(name) else {
    print(usage(), terminator: "")
    exit(arguments.isEmpty ? 2 : 0)
}
guard let benchmark = benchmarks.first(where: { $0.name == name }) else {
    FileHandle.standardError.write(Data("patchtrain-bench: unknown subcommand '\(name)'\n\(usage())".utf8))
    exit(2)
}
do {
    let options = try BenchOptions(parsing: Array(arguments.dropFirst()))
    let passed = try benchmark.run(options)
    exit(passed ? 0 : 1)
} catch let error as InputError {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
} catch let error as BenchOptions.UsageError {
    FileHandle.standardError.write(Data("patchtrain-bench \(name): \(error.message)\n    \(benchmark.usage)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(1)
}
