import Foundation
import Testing

/// Runs the built `patchtrain` under Open MPI's `mpirun`, as a user of a cluster would:
/// `mpirun --oversubscribe -np N patchtrain …` (`--oversubscribe`: more ranks than this machine's cores;
/// `--allow-run-as-root` only where the tests run as root, as in a container).
enum MPIRunner {
    /// `mpirun` on the PATH, if any (`make deps` installs Debian's openmpi-bin).
    static let launcher: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static var isAvailable: Bool { launcher != nil && CLIRunner.executable != nil }
    static let unavailableReason: Comment = "mpirun not found on PATH: install Open MPI (make deps installs openmpi-bin) to run the data-parallel tests"

    /// `launcherOptions` go to `mpirun` itself (e.g. `--mca NAME VALUE`).
    static func arguments(ranks: Int, _ arguments: [String], launcherOptions: [String] = []) -> [String] {
        ["--oversubscribe", "-np", "\(ranks)"] + (getuid() == 0 ? ["--allow-run-as-root"] : []) + launcherOptions
            + [CLIRunner.executable!] + arguments
    }

    static func run(ranks: Int, _ arguments: [String]) throws -> CLIResult {
        try start(ranks: ranks, arguments).wait()
    }

    static func start(ranks: Int, _ arguments: [String], launcherOptions: [String] = []) throws -> RunningCLI {
        guard let launcher else { throw CLIRunnerError("mpirun not found") }
        return try CLIRunner.start(executable: launcher, self.arguments(ranks: ranks, arguments, launcherOptions: launcherOptions))
    }
}
