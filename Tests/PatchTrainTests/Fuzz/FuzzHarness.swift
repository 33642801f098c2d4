import Foundation
@testable import PatchTrain

/// Runs mutated inputs of one kind through its reader, in this process, and counts what happened.
///
/// A crash (a trap, SIGSEGV, SIGBUS) would end the test process itself, so before each input the harness writes
/// the input's bytes and a description to `reproducerFolder`: after a crash, `current.txt` says which kind and input
/// it was and the input file is there to replay. A watchdog bounds every input: one still running after
/// `secondsPerInput` is reported as a hang (with the same reproducer) and the process exits with code 3.
final class FuzzHarness {
    struct Counts: CustomStringConvertible {
        var kind: String
        var inputs = 0
        var accepted = 0
        var rejected = 0
        /// Errors that are not `InputError` (a bad input must be exit 2, not 1), with the first few messages.
        var otherErrors = 0
        /// `InputError`s not on one line, or not naming the input.
        var badMessages = 0
        var examples: [String] = []
        var seconds = 0.0

        var description: String {
            "\(kind): \(inputs) inputs, \(accepted) accepted, \(rejected) rejected with InputError, \(otherErrors) other errors, "
                + "\(badMessages) badly formed messages, 0 crashes, 0 hangs (\(String(format: "%.1f", seconds)) s)"
        }
    }

    let workFolder: String
    let reproducerFolder: String
    let secondsPerInput: Double
    private let watchdog = Watchdog()

    init(workFolder: String, reproducerFolder: String, secondsPerInput: Double = 20) {
        self.workFolder = workFolder
        self.reproducerFolder = reproducerFolder
        self.secondsPerInput = secondsPerInput
        try? FileManager.default.createDirectory(atPath: reproducerFolder, withIntermediateDirectories: true)
    }

    func run(_ kind: FuzzKind, count: Int, seed: UInt64) -> Counts {
        var counts = Counts(kind: kind.name)
        var mutator = FuzzMutator(seed: seed)
        let path = "\(workFolder)/\(kind.fileName)"
        let reproducer = "\(reproducerFolder)/current-\(kind.fileName)"
        let note = "\(reproducerFolder)/current.txt"
        watchdog.start(limit: secondsPerInput, note: note)
        let started = Date()
        defer { watchdog.stop() }
        for index in 0..<count {
            let seedBytes = kind.seeds[index % kind.seeds.count]
            // Every 16th input is a seed as written, so that acceptance of valid files is checked too.
            let bytes = index % 16 == 0 ? seedBytes : kind.mutate(&mutator, seedBytes)
            try? FileManager.default.removeItem(atPath: path)
            do {
                try kind.write(&mutator, bytes, path, index % 16 != 0)
            } catch {
                counts.otherErrors += 1
                counts.examples.append("writing input \(index): \(error)")
                continue
            }
            try? Data((try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()).write(to: URL(fileURLWithPath: reproducer))
            try? "kind \(kind.name), input \(index) of \(count), seed \(seed): \(reproducer)\n".write(toFile: note, atomically: false, encoding: .utf8)
            watchdog.begin(index)
            counts.inputs += 1
            do {
                try kind.read(path)
                counts.accepted += 1
                if index % 16 == 0 { continue }
            } catch let error as InputError {
                counts.rejected += 1
                let namesInput = error.file == path || (kind.errorsMayNameOtherFiles && !error.file.isEmpty)
                if error.description.contains("\n") || !namesInput {
                    counts.badMessages += 1
                    if counts.examples.count < 5 { counts.examples.append("input \(index): \(error)") }
                }
                if index % 16 == 0 {
                    counts.badMessages += 1
                    counts.examples.append("the seed \(index % kind.seeds.count) itself was refused: \(error)")
                }
            } catch {
                counts.otherErrors += 1
                if counts.examples.count < 5 { counts.examples.append("input \(index): \(type(of: error)): \(error)") }
            }
        }
        try? FileManager.default.removeItem(atPath: note)
        try? FileManager.default.removeItem(atPath: reproducer)
        counts.seconds = Date().timeIntervalSince(started)
        return counts
    }
}

/// A thread that ends the process if the current input runs longer than the limit: a hang must not stall the run.
private final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var current = -1
    private var started = Date()
    private var running = false
    private var limit = 20.0
    private var note = ""
    private var thread: Thread?

    func start(limit: Double, note: String) {
        lock.lock()
        self.limit = limit
        self.note = note
        running = true
        current = -1
        lock.unlock()
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.25)
                lock.lock()
                let (alive, index, elapsed, limit, note) = (running, current, Date().timeIntervalSince(started), self.limit, self.note)
                lock.unlock()
                if !alive { return }
                if index >= 0 && elapsed > limit {
                    let what = (try? String(contentsOfFile: note, encoding: .utf8)) ?? "input \(index)"
                    FileHandle.standardError.write(Data("fuzz: hang: still reading after \(Int(limit)) s: \(what)".utf8))
                    exit(3)
                }
            }
        }
        self.thread = thread
        thread.start()
    }

    func begin(_ index: Int) {
        lock.lock()
        current = index
        started = Date()
        lock.unlock()
    }

    func stop() {
        lock.lock()
        running = false
        lock.unlock()
    }
}
