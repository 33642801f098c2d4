import ArgumentParser
import Foundation
import PatchTrain

@main
struct PatchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patchtrain",
        abstract: "Train 3D segmentation networks on large volumes inside a RAM budget planned ahead of time.",
        version: "0.1.0",
        subcommands: [Synth.self, Inspect.self, Pack.self, Plan.self, Fit.self, Infer.self, Evaluate.self, Report.self]
    )

    /// Exit codes follow the project's convention rather than ArgumentParser's:
    /// 0 success, 1 runtime failure, 2 bad usage or bad input; errors are one line on stderr.
    static func main() {
        // OpenBLAS misdetects some virtual CPUs and falls back to its slowest kernels; it must be told before it
        // loads, so this re-executes the process once with OPENBLAS_CORETYPE set (a user's own setting wins).
        BLASCoreType.reexecuteWithDetectedCoreTypeIfNeeded()
        do {
            var command = try parseAsRoot()
            try command.run()
            World.current?.finish()
        } catch let error as InputError {
            Terminal.fail("\(error)", code: 2)
        } catch let error as RuntimeFailure {
            Terminal.fail("\(error)", code: 1)
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }  // --help, --version
            if error is ExitCode { exit(withError: error) }
            // Everything else ArgumentParser raises is a usage error: one line, pointing at the help.
            let named = CommandLine.arguments.dropFirst().first
            Terminal.usageError(message(for: error), command: configuration.subcommands.map { $0._commandName }.first { $0 == named })
        }
    }
}
