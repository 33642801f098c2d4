import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The folder a `fit` run writes (docs/cli.md, "Run folder"):
///
/// ```
/// RUN/plan.json        the memory plan trained under
/// RUN/config.json      RunConfiguration: what was asked, for --resume
/// RUN/metrics.jsonl    one JSON line per step        RUN/metrics.csv   the same, as CSV
/// RUN/last/            the latest checkpoint (Checkpoint)
/// RUN/best/            the best validation checkpoint (when the run validates)
/// RUN/progress.png     the loss and Dice curves so far, redrawn after each validation (ProgressChart)
/// RUN/validation/      per validation case, CASE.json: its slices from the latest validation (ValidationSlices)
/// RUN/.lock            held by the process training in it
/// ```
///
/// Opening a run folder takes an exclusive lock on `.lock` for the life of the value, so two processes never
/// train into (and checkpoint over) the same folder.
public final class RunFolder {
    public let path: String
    private let lockDescriptor: Int32

    public var files: RunFiles { RunFiles(path) }
    public var planPath: String { files.plan }
    public var configurationPath: String { files.configuration }
    public var metricsJSONPath: String { files.metricsJSON }
    public var metricsCSVPath: String { files.metricsCSV }
    public var lastPath: String { files.last }
    public var bestPath: String { files.best }
    public var progressPath: String { files.progress }
    public var validationSlicesPath: String { files.validationSlices }

    private init(path: String) throws {
        self.path = path
        let lock = "\(path)/.lock"
        let fd = SystemCall.open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RuntimeFailure("\(lock): cannot open (\(String(cString: strerror(errno))))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw InputError(path, "another patchtrain process is training in this run folder")
        }
        lockDescriptor = fd
    }

    /// The folder as the other ranks of a data-parallel run see it: they read it (on a resume) but never write or
    /// lock it; rank 0 does both.
    private init(peerOf path: String) {
        self.path = RunFiles(path).path
        lockDescriptor = -1
    }

    public static func peer(_ path: String) -> RunFolder { RunFolder(peerOf: path) }

    deinit { if lockDescriptor >= 0 { close(lockDescriptor) } }

    /// A new run: creates the folder (and parents). A folder that holds a run's checkpoint is refused, so it is
    /// never mixed with another run's; one whose run died before its first checkpoint has nothing to resume, and
    /// starts over (its metrics are cleared).
    public static func create(_ path: String) throws -> RunFolder {
        let path = RunFiles(path).path
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw InputError(path, "cannot create the run folder (\(error.localizedDescription))")
        }
        let folder = try RunFolder(path: path)
        try AtomicFolder.recover(folder.lastPath)
        if AtomicFolder.resolve(folder.lastPath) != nil {
            throw InputError(path, "already holds a run; continue it with --resume \(path), or choose another --out")
        }
        try RunMetrics.truncate(jsonPath: folder.metricsJSONPath, csvPath: folder.metricsCSVPath, throughStep: 0)
        return folder
    }

    /// An existing run to resume: it must hold `plan.json`, `config.json` and a checkpoint in `last/`.
    public static func open(_ path: String) throws -> RunFolder {
        let path = RunFiles(path).path
        guard AtomicFolder.isFolder(path) else { throw InputError(path, "no such run folder") }
        let folder = try RunFolder(path: path)
        for file in [folder.planPath, folder.configurationPath] where !FileManager.default.fileExists(atPath: file) {
            throw InputError(file, "missing: not a run folder written by `patchtrain fit`")
        }
        try AtomicFolder.recover(folder.lastPath)
        guard AtomicFolder.isFolder(folder.lastPath) else {
            throw InputError(folder.lastPath, "missing: the run stopped before its first checkpoint; start it again with --out \(path)")
        }
        return folder
    }

    public func writePlan(_ plan: MemoryPlan) throws { try RunFolder.writeJSON(plan, to: planPath) }
    public func writeConfiguration(_ configuration: RunConfiguration) throws { try RunFolder.writeJSON(configuration, to: configurationPath) }

    /// Writes `RUN/validation/CASE.json`, atomically.
    public func writeValidationSlices(_ slices: ValidationSlices) throws {
        do {
            try FileManager.default.createDirectory(atPath: validationSlicesPath, withIntermediateDirectories: true)
        } catch {
            throw RuntimeFailure("\(validationSlicesPath): cannot create (\(error.localizedDescription))")
        }
        try RunFolder.writeJSON(slices, to: "\(validationSlicesPath)/\(slices.caseID).json")
    }

    public func readPlan() throws -> MemoryPlan { try RunFolder.readJSON(planPath, what: "plan") }
    public func readConfiguration() throws -> RunConfiguration {
        let configuration: RunConfiguration = try RunFolder.readJSON(configurationPath, what: "run configuration")
        do { try configuration.checkLimits() } catch { throw InputError(configurationPath, "\(error)") }
        return configuration
    }

    /// The metrics files, opened for appending.
    public func openMetrics() throws -> RunMetrics { try RunMetrics(jsonPath: metricsJSONPath, csvPath: metricsCSVPath) }

    static func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(value)) + [0x0A], to: path)
    }

    static func readJSON<T: Decodable>(_ path: String, what: String) throws -> T {
        let data = try RegularFile.contents(path, missing: "missing or unreadable")
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw InputError(path, "not a \(what) this version of patchtrain wrote (\(JSONProblem.describe(error)))")
        }
    }
}

/// Where a run folder's files are, for readers that do not take the folder's lock (the report reads a run while
/// `fit` may still be writing it).
public struct RunFiles: Sendable {
    public let path: String
    public init(_ path: String) { self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path }
    public var plan: String { "\(path)/plan.json" }
    public var configuration: String { "\(path)/config.json" }
    public var metricsJSON: String { "\(path)/metrics.jsonl" }
    public var metricsCSV: String { "\(path)/metrics.csv" }
    public var last: String { "\(path)/last" }
    public var best: String { "\(path)/best" }
    public var progress: String { "\(path)/progress.png" }
    public var validationSlices: String { "\(path)/validation" }
}
