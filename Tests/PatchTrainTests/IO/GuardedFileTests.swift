import Foundation
import Testing
@testable import PatchTrain

/// Inputs that are not regular files, or that shrink after they were opened: refused or reported, never a hang or
/// a crash.
@Suite struct GuardedFileTests {
    @Test func aFIFONamedLikeAnInputIsRefusedWithoutBlocking() throws {
        let folder = TemporaryFolder()
        for name in ["x.npy", "x.nii", "x.nii.gz", "manifest.json", "plan.json", "state.json", "optimizer.zst"] {
            let path = folder.file(name)
            #expect(mkfifo(path, 0o600) == 0)
            // Without the check, open() would wait for a writer forever.
            let error = #expect(throws: InputError.self, "\(name)") {
                switch name {
                case "manifest.json": _ = try DatasetManifest(path: path)
                case "plan.json", "state.json": _ = try Checkpoint.readState(path)
                case "optimizer.zst": _ = try RegularFile.open(path)
                default: _ = try VolumeOpener.open(path)
                }
            }
            #expect(error?.file == path)
            #expect(error?.problem.contains("not a regular file") == true, "\(String(describing: error))")
        }
        #expect(throws: InputError.self) { _ = try NPYVolume(path: folder.path) }
    }

    static func writeVolume(_ path: String, edge: Int = 32) throws {
        try NPYWriter.write([Float](repeating: 1, count: edge * edge * edge), elementType: .float32, shape: [edge, edge, edge], to: path)
    }

    @Test func aVolumeCutShortAfterOpeningIsAnInputErrorBeforeAReadPass() throws {
        let folder = TemporaryFolder()
        let path = folder.file("image.npy")
        try Self.writeVolume(path)
        let volume = try NPYVolume(path: path)
        try volume.checkUnchanged()
        #expect(truncate(path, 4096) == 0)
        let error = #expect(throws: InputError.self) { try volume.checkUnchanged() }
        #expect(error?.file == path)
        #expect(error?.problem.contains("cut short") == true)
    }

    /// The backstop for a file that shrinks between the size check and the read (or under a read path that cannot
    /// throw): the SIGBUS is turned into the one-line error and exit code 2. Run in a forked child, which touches
    /// the mapped page past the new end; the parent reads its stderr and exit status.
    @Test func aReadPastTheNewEndExitsWithCode2NamingTheFile() throws {
        let folder = TemporaryFolder()
        let path = folder.file("cut\nshort.npy")
        try Self.writeVolume(path)
        let file = try MappedFile(path: path)
        #expect(truncate(path, 0) == 0)
        let last = file.bytes(at: file.size - 1, count: 1).baseAddress!
        var pipeEnds: [Int32] = [0, 0]
        #expect(pipe(&pipeEnds) == 0)
        let child = fork()
        if child == 0 {
            // Child: only async-signal-safe calls from here on.
            dup2(pipeEnds[1], 2)
            let byte = last.load(as: UInt8.self)  // SIGBUS: the page is past the file's end now
            _exit(byte == 255 ? 3 : 4)  // reached only if the read did not fault
        }
        close(pipeEnds[1])
        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(pipeEnds[0], &buffer, buffer.count)
            if n <= 0 { break }
            output += buffer[0..<n]
        }
        close(pipeEnds[0])
        var status: Int32 = 0
        #expect(waitpid(child, &status, 0) == child)
        let exitedNormally = (status & 0x7F) == 0
        #expect(exitedNormally, "the child died of signal \(status & 0x7F)")
        #expect((status >> 8) & 0xFF == 2)
        let message = String(decoding: output, as: UTF8.self)
        #expect(message == "patchtrain: error: \(folder.file("cut\\nshort.npy")): was cut short while being read (the file shrank after it was opened)\n")
        withExtendedLifetime(file) {}
    }
}

/// The same through the commands a user runs: a FIFO named as an input is exit 2 with one line naming it, at once.
@Suite struct GuardedFileCommandTests {
    @Test func commandsRefuseAFIFOInputWithoutBlocking() throws {
        let folder = TemporaryFolder()
        for side in ["pred", "truth"] {
            try FileManager.default.createDirectory(atPath: folder.file("\(side)-fifo"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: folder.file(side), withIntermediateDirectories: true)
            #expect(mkfifo(folder.file("\(side)-fifo/a.npy"), 0o600) == 0)
            try NPYWriter.write([UInt8](repeating: 0, count: 8), elementType: .uint8, shape: [2, 2, 2], to: folder.file("\(side)/a.npy"))
        }
        for (arguments, fifo) in [(["evaluate", "--pred", folder.file("pred-fifo"), "--truth", folder.file("truth")], folder.file("pred-fifo/a.npy")),
                                  (["evaluate", "--pred", folder.file("pred"), "--truth", folder.file("truth-fifo")], folder.file("truth-fifo/a.npy"))] {
            let running = try CLIRunner.start(arguments)
            let exited = running.waitUntil(seconds: 60) { !running.process.isRunning }
            if !exited { running.send(SIGKILL) }
            let result = try running.wait()
            #expect(exited, "\(arguments[0]) blocked on the FIFO")
            #expect(result.status == 2, "\(arguments[0]): \(result.stderr)")
            #expect(result.stderrLines == ["patchtrain: error: \(fifo): not a regular file"], "\(arguments): \(result.stderr)")
        }
    }
}
