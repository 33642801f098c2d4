import Foundation

/// What one run of the `patchtrain` executable did.
struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String

    /// The non-empty lines written to stderr.
    var stderrLines: [String] { stderr.split(separator: "\n").map(String.init).filter { !$0.isEmpty } }
}

/// Runs the built `patchtrain` executable, as a user would, and captures its exit code and both streams.
///
/// The executable is found, in order: `PATCHTRAIN_BIN`; beside the test binary (SwiftPM puts every product of a
/// configuration in one folder, so `CommandLine.arguments[0]`'s folder, or the `.xctest` bundle's on macOS);
/// else the newest `.build/**/{debug,release}/patchtrain` above this source file, preferring the configuration
/// these tests were compiled in.
enum CLIRunner {
    static let executable: String? = locate()

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIResult {
        try start(arguments, environment: environment).wait()
    }

    /// Starts the executable without waiting, for tests that signal it while it runs. `environment` is added to
    /// the test process's own.
    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> RunningCLI {
        guard let executable else {
            throw CLIRunnerError("patchtrain executable not found; build it first (swift build) or set PATCHTRAIN_BIN")
        }
        return try start(executable: executable, arguments, environment: environment)
    }

    /// Starts `executable` (patchtrain, or a launcher such as mpirun that starts it) the same way.
    static func start(executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> RunningCLI {
        // Files, not pipes: nothing can deadlock however much the child writes to either stream.
        let scratch = TemporaryFolder("patchtrain-cli")
        let outPath = scratch.file("stdout"), errPath = scratch.file("stderr")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let out = FileHandle(forWritingAtPath: outPath)!, err = FileHandle(forWritingAtPath: errPath)!
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try runWithNoSignalsBlocked(process)
        return RunningCLI(process: process, scratch: scratch, out: out, err: err, outPath: outPath, errPath: errPath)
    }

    /// Tests run on threads that block most signals, and a child starts with its parent thread's mask: started
    /// from one, `mpirun` would never see the SIGTERM a test sends it. The child is started from a thread whose
    /// mask is empty, as a shell starts it.
    private static func runWithNoSignalsBlocked(_ process: Process) throws {
        final class Outcome: @unchecked Sendable { var error: Error? }
        let outcome = Outcome(), done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var none = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, nil)
            do { try process.run() } catch { outcome.error = error }
            done.signal()
        }
        thread.start()
        done.wait()
        if let error = outcome.error { throw error }
    }

    private static func locate() -> String? {
        let manager = FileManager.default
        func isExecutable(_ path: String) -> Bool {
            var folder: ObjCBool = false
            return manager.fileExists(atPath: path, isDirectory: &folder) && !folder.boolValue && manager.isExecutableFile(atPath: path)
        }
        if let explicit = ProcessInfo.processInfo.environment["PATCHTRAIN_BIN"], isExecutable(explicit) { return explicit }

        var besideTests: [URL] = []
        if let first = CommandLine.arguments.first {
            besideTests.append(URL(fileURLWithPath: first).resolvingSymlinksInPath().deletingLastPathComponent())
        }
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            besideTests.append(URL(fileURLWithPath: bundle.bundlePath).deletingLastPathComponent())
        }
        for folder in besideTests {
            let candidate = folder.appendingPathComponent("patchtrain").path
            if isExecutable(candidate) { return candidate }
        }

        #if DEBUG
        let configurations = ["debug", "release"]
        #else
        let configurations = ["release", "debug"]
        #endif
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while folder.path != "/" {
            let build = folder.appendingPathComponent(".build")
            if manager.fileExists(atPath: build.path) {
                for configuration in configurations {
                    var candidates = [build.appendingPathComponent("\(configuration)/patchtrain").path]
                    for triple in (try? manager.contentsOfDirectory(atPath: build.path)) ?? [] {
                        candidates.append(build.appendingPathComponent("\(triple)/\(configuration)/patchtrain").path)
                    }
                    let newest = candidates.filter(isExecutable).max { modified($0) < modified($1) }
                    if let newest { return newest }
                }
            }
            folder.deleteLastPathComponent()
        }
        return nil
    }

    private static func modified(_ path: String) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
    }
}

struct CLIRunnerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A `patchtrain` process started by `CLIRunner.start`.
final class RunningCLI {
    let process: Process
    private let scratch: TemporaryFolder
    private let out: FileHandle, err: FileHandle
    private let outPath: String, errPath: String

    init(process: Process, scratch: TemporaryFolder, out: FileHandle, err: FileHandle, outPath: String, errPath: String) {
        self.process = process
        self.scratch = scratch
        self.out = out
        self.err = err
        self.outPath = outPath
        self.errPath = errPath
    }

    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// What the process has written to stderr so far.
    var stderrSoFar: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

    func wait() throws -> CLIResult {
        process.waitUntilExit()
        try out.close()
        try err.close()
        return CLIResult(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    /// Polls `condition` every 20 ms until it holds (true) or `seconds` pass or the process ends (false).
    func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            if !process.isRunning { return condition() }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }
}
