import Foundation
import Testing
@testable import PatchTrain

/// An input cut short while a command is using it — after it was opened, checked and mapped — ends the command with
/// exit 2 and one line naming the file, in `infer`, `evaluate` and `fit`'s validation: never a SIGBUS, never a score
/// of garbage. The command is paused (SIGSTOP) once it is at work, the file is truncated, and it is let go on.
@Suite(.serialized, .kernelExclusive) struct TruncatedInputCommandTests {
    /// Starts `arguments`, waits until `working` holds, pauses the process, cuts `file` to its first 128 bytes (the
    /// `.npy` header's start), lets it go on, and returns how it ended.
    static func cutShortWhileRunning(_ arguments: [String], file: String, working: (RunningCLI) -> Bool) throws -> CLIResult {
        let running = try CLIRunner.start(arguments)
        let started = running.waitUntil(seconds: 120) { working(running) }
        #expect(started, "\(arguments[0]) never got to work: \(running.stderrSoFar)")
        running.send(SIGSTOP)
        #expect(truncate(file, 128) == 0)
        running.send(SIGCONT)
        let ended = running.waitUntil(seconds: 120) { !running.process.isRunning }
        if !ended { running.send(SIGKILL) }
        return try running.wait()
    }

    static func expectOneLineNaming(_ file: String, _ result: CLIResult, _ command: String) {
        #expect(result.status == 2, "\(command): exit \(result.status), stderr: \(result.stderr)")
        let errors = result.stderrLines.filter { $0.contains("error") }
        #expect(errors.count == 1 && errors.first?.contains(file) == true, "\(command): one line naming \(file): \(result.stderr)")
    }

    @Test func inferExitsTwoNamingTheFile() throws {
        let folder = TemporaryFolder("patchtrain-cut")
        try FileManager.default.createDirectory(atPath: folder.file("images"), withIntermediateDirectories: true)
        let image = folder.file("images/case.npy")
        var generator = SeededGenerator(seed: 9)
        try NPYWriter.write((0..<(128 * 128 * 128)).map { _ in Float.random(in: -1...1, using: &generator) }, elementType: .float32,
                            shape: [128, 128, 128, 1], to: image)
        let model = "\(InferenceFixtureTests.folder)/small_unet.safetensors"
        let result = try Self.cutShortWhileRunning(
            ["infer", "--model", model, "--input", folder.file("images"), "--out", folder.file("out"), "--ram", "1G",
             "--window", "32x32x32", "--tta"], file: image) { $0.stderrSoFar.contains("infer:") }
        Self.expectOneLineNaming(image, result, "infer")
    }

    @Test func evaluateExitsTwoNamingTheFile() throws {
        let folder = TemporaryFolder("patchtrain-cut")
        for side in ["pred", "truth"] {
            try FileManager.default.createDirectory(atPath: folder.file(side), withIntermediateDirectories: true)
            for index in 0..<4 {
                var generator = SeededGenerator(seed: UInt64(index + (side == "pred" ? 10 : 20)))
                let labels = (0..<(128 * 128 * 96)).map { _ in UInt8.random(in: 0...3, using: &generator) }
                try NPYWriter.write(labels, elementType: .uint8, shape: [128, 128, 96], to: folder.file("\(side)/case_\(index).npy"))
            }
        }
        let last = folder.file("pred/case_3.npy")
        let result = try Self.cutShortWhileRunning(
            ["evaluate", "--pred", folder.file("pred"), "--truth", folder.file("truth"), "--hd95"], file: last) {
                $0.stderrSoFar.contains("evaluate:")
            }
        Self.expectOneLineNaming(last, result, "evaluate")
    }

    @Test func validationExitsTwoNamingTheFileAndKeepsTheRun() throws {
        let folder = TemporaryFolder("patchtrain-cut")
        let synth = try CLIRunner.run(["synth", "--out", folder.file("data"), "--cases", "3", "--shape", "32x32x32", "--seed", "4"])
        #expect(synth.status == 0, "stderr: \(synth.stderr)")
        try TinyTraining.writePlan(TinyTraining.plan(microBatch: 1, accumulation: 2, volume: Extent3(32, 32, 32)), to: folder.file("plan.json"))
        // The case `--validation 1` sets aside, as fit will split it.
        let split = try Dataset(path: folder.file("data"), split: ValidationSplit(parsing: "1")).openSplit()
        let validated = try #require(split.validation.first).image.path
        let result = try Self.cutShortWhileRunning(
            ["fit", "--data", folder.file("data"), "--plan", folder.file("plan.json"), "--out", folder.file("run"), "--validation", "1",
             "--steps", "40", "--val-every", "40"], file: validated) { _ in
                ((try? String(contentsOfFile: folder.file("run/metrics.jsonl"), encoding: .utf8)) ?? "").contains("\"step\"")
            }
        Self.expectOneLineNaming(validated, result, "fit")
        #expect(result.stderr.contains("saved"), "last/ saved before stopping: \(result.stderr)")
    }
}
