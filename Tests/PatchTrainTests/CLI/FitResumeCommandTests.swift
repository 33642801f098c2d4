import Foundation
import Testing
@testable import PatchTrain

/// `patchtrain fit` interrupted in every way a run can be — a resume after a clean stop, SIGINT/SIGTERM, a kill
/// in the middle of writing a checkpoint, a case that goes bad while training — run as a user runs it, on two
/// 32³ synthetic cases under a tiny plan (base 4 filters, 16³ patches, accumulation 2) so a step takes well
/// under a second even in a debug build.
@Suite(.serialized) struct FitResumeCommandTests {
    /// The dataset and the plan file, made once per test.
    final class Setup {
        let folder = TemporaryFolder("patchtrain-fit")
        var data: String { folder.file("data") }
        var plan: String { folder.file("plan.json") }

        init() throws {
            let synth = try CLIRunner.run(["synth", "--out", folder.file("data"), "--cases", "2", "--shape", "32x32x32", "--seed", "4"])
            guard synth.status == 0 else { throw CLIRunnerError("synth failed: \(synth.stderr)") }
            try TinyTraining.writePlan(TinyTraining.plan(microBatch: 1, accumulation: 2, volume: Extent3(32, 32, 32)), to: plan)
        }

        func fit(_ out: String, _ more: [String]) -> [String] {
            // A constant rate: these runs change their total length on resume, which moves any other schedule.
            ["fit", "--data", data, "--plan", plan, "--out", folder.file(out), "--seed", "3", "--schedule", "constant"] + more
        }

        func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: folder.file(path)) }

        func metricsSteps(_ run: String) -> [Int] {
            let text = (try? String(contentsOfFile: folder.file("\(run)/metrics.jsonl"), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["step"] as? Int
            }
        }

        func metricsLosses(_ run: String) -> [Double] {
            let text = (try? String(contentsOfFile: folder.file("\(run)/metrics.jsonl"), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["loss"] as? Double
            }
        }

        /// Loads `run/last` into a store of the plan's network; returns its state.
        func loadLast(_ run: String) throws -> TrainingState {
            let plan = try JSONDecoder().decode(MemoryPlan.self, from: Data(contentsOf: URL(fileURLWithPath: self.plan)))
            let graph = LayerGraph(configuration: plan.configuration, patch: plan.patch, microBatch: plan.microBatch)
            return try Checkpoint.load(from: folder.file("\(run)/last"), into: ParameterStore(specs: graph.parameters)).state
        }
    }

    @Test func twoStepsThenResumeEndBitIdenticalToFourStraight() throws {
        let setup = try Setup()
        let straight = try CLIRunner.run(setup.fit("straight", ["--steps", "4"]))
        #expect(straight.status == 0, "stderr: \(straight.stderr)")
        let first = try CLIRunner.run(setup.fit("split", ["--steps", "2"]))
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let resumed = try CLIRunner.run(["fit", "--resume", setup.folder.file("split"), "--steps", "4", "--json"])
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")

        for file in Checkpoint.files {
            let a = setup.bytes("straight/last/\(file)"), b = setup.bytes("split/last/\(file)")
            #expect(a != nil && a == b, "last/\(file) differs between the straight and the resumed run")
        }
        #expect(setup.metricsSteps("split") == [1, 2, 3, 4])
        #expect(setup.metricsLosses("split") == setup.metricsLosses("straight"))
        let csv = try String(contentsOfFile: setup.folder.file("split/metrics.csv"), encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 5 && csv[0] == Substring(StepRecord.csvHeader), "header once, then one row per step")
        #expect(csv.dropFirst().map { Int($0.split(separator: ",")[0])! } == [1, 2, 3, 4])
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(resumed.stdout.utf8)) as? [String: Any])
        #expect(summary["steps"] as? Int == 2 && summary["totalSteps"] as? Int == 4)
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalSavesTheLastStepAndResumeContinuesFromIt(signal: Int32) throws {
        let setup = try Setup()
        let running = try CLIRunner.start(setup.fit("run", ["--steps", "100000"]))
        let started = running.waitUntil(seconds: 120) { !setup.metricsSteps("run").isEmpty }
        #expect(started, "no step finished; stderr: \(running.stderrSoFar)")
        running.send(signal)
        let result = try running.wait()
        #expect(result.status == 128 + signal, "stderr: \(result.stderr)")
        let last = try #require(result.stderrLines.last)
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        #expect(last.hasPrefix("patchtrain: stopped by \(name) after step "), "\(last)")
        #expect(last.contains("saved \(setup.folder.file("run/last"))") && last.contains("patchtrain fit --resume \(setup.folder.file("run"))"))

        let state = try setup.loadLast("run")
        #expect(state.step >= 1)
        #expect(setup.metricsSteps("run") == Array(1...state.step), "the checkpoint is at the last step recorded")
        #expect(last.contains("after step \(state.step) of 100000"))

        let resumed = try CLIRunner.run(["fit", "--resume", setup.folder.file("run"), "--steps", "\(state.step + 1)"])
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
        #expect(try setup.loadLast("run").step == state.step + 1)
        #expect(setup.metricsSteps("run") == Array(1...(state.step + 1)))
    }

    /// The writer is parked (test hook) once the weights and the optimizer state are in its temporary folder; a
    /// SIGKILL there must leave `last/` exactly the previous checkpoint, and the next resume must clean up and
    /// still end where a straight run ends.
    @Test func aKillInTheMiddleOfACheckpointWriteLeavesThePreviousOne() throws {
        let setup = try Setup()
        let first = try CLIRunner.run(setup.fit("run", ["--steps", "2"]))
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let before = Checkpoint.files.map { setup.bytes("run/last/\($0)") }

        let running = try CLIRunner.start(["fit", "--resume", setup.folder.file("run"), "--steps", "4"],
                                          environment: ["PATCHTRAIN_TEST_STALL_CHECKPOINT": "1"])
        var temporary: String?
        let parked = running.waitUntil(seconds: 120) {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: setup.folder.file("run"))) ?? []
            temporary = entries.first { $0.hasPrefix(".last.tmp-") && FileManager.default.fileExists(atPath: setup.folder.file("run/\($0)/.stalled")) }
            return temporary != nil
        }
        #expect(parked, "the writer never parked; stderr: \(running.stderrSoFar)")
        running.send(SIGKILL)
        let killed = try running.wait()
        #expect(killed.status == SIGKILL)

        // Cut mid-write: the new weights and optimizer state are in the temporary folder, state.json is not.
        let inside = try FileManager.default.contentsOfDirectory(atPath: setup.folder.file("run/\(try #require(temporary))"))
        #expect(inside.contains(Checkpoint.weightsFile) && inside.contains(Checkpoint.optimizerFile) && !inside.contains(Checkpoint.stateFile))
        #expect(Checkpoint.files.map { setup.bytes("run/last/\($0)") } == before, "last/ changed")
        #expect(try setup.loadLast("run").step == 2)

        let resumed = try CLIRunner.run(["fit", "--resume", setup.folder.file("run"), "--steps", "4"])
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
        let entries = try FileManager.default.contentsOfDirectory(atPath: setup.folder.file("run"))
        #expect(!entries.contains { $0.hasPrefix(".last.tmp-") }, "the dead writer's folder was not cleaned up: \(entries)")
        #expect(setup.metricsSteps("run") == [1, 2, 3, 4], "steps 3 and 4 of the killed run are recorded once")

        let straight = try CLIRunner.run(setup.fit("straight", ["--steps", "4"]))
        #expect(straight.status == 0)
        #expect(setup.bytes("run/last/\(Checkpoint.weightsFile)") == setup.bytes("straight/last/\(Checkpoint.weightsFile)"))
    }

    /// Case files overwritten in place with NaN while training: the run stops with exit 2 and one error line
    /// naming the file, after saving `last/` at the last whole step.
    @Test func aCaseThatGoesBadMidRunStopsWithItsNameAfterSaving() throws {
        let setup = try Setup()
        let running = try CLIRunner.start(setup.fit("run", ["--steps", "100000", "--no-augment"]))
        #expect(running.waitUntil(seconds: 120) { !setup.metricsSteps("run").isEmpty }, "stderr: \(running.stderrSoFar)")
        let image = setup.folder.file("data/images/case_000.npy")
        let dataBytes = 32 * 32 * 32 * 4
        let handle = try #require(FileHandle(forUpdatingAtPath: image))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size - UInt64(dataBytes))
        try handle.write(contentsOf: Data([Float](repeating: .nan, count: 32 * 32 * 32).withUnsafeBytes { Array($0) }))
        try handle.close()

        let result = try running.wait()
        #expect(result.status == 2, "stderr: \(result.stderr)")
        let errors = result.stderrLines.filter { $0.hasPrefix("patchtrain: error: ") }
        #expect(errors.count == 1, "stderr: \(result.stderr)")
        let line = try #require(errors.first)
        #expect(line.hasPrefix("patchtrain: error: \(image): nan at voxel"), "\(line)")
        #expect(line.contains("saved \(setup.folder.file("run/last"))"))
        let state = try setup.loadLast("run")
        #expect(state.step >= 1 && setup.metricsSteps("run") == Array(1...state.step))
    }

    @Test func epochsScheduleLossAndAugmentationAreRecorded() throws {
        let setup = try Setup()
        // An epoch: ⌈2 cases × 32³ voxels / (16³ patch × effective batch 2)⌉ = 8 steps.
        let result = try CLIRunner.run(setup.fit("run", ["--epochs", "1", "--schedule", "cosine", "--lr", "0.004", "--loss", "ce", "--no-augment"]))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let config = try JSONDecoder().decode(RunConfiguration.self, from: Data(contentsOf: URL(fileURLWithPath: setup.folder.file("run/config.json"))))
        #expect(config.stepsPerEpoch == 8 && config.steps == 8 && config.epochs == 1)
        #expect(config.schedule == .cosine && config.loss == .crossEntropy && config.augmentation == nil)
        let state = try setup.loadLast("run")
        #expect(state.step == 8 && state.epoch == 1 && state.sampler.augmentation == nil)
        let rows = try String(contentsOfFile: setup.folder.file("run/metrics.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(rows.count == 8)
        for (t, row) in rows.enumerated() {
            let fields = row.split(separator: ",")
            #expect(Int(fields[1]) == 1, "epoch column")
            #expect(Float(fields[3]) == LearningRateSchedule.cosine.rate(base: 0.004, step: t, totalSteps: 8), "learning rate of step \(t + 1)")
        }
    }

    @Test func badResumeRequestsExitTwoWithOneLine() throws {
        let setup = try Setup()
        let first = try CLIRunner.run(setup.fit("run", ["--steps", "1"]))
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let checks: [([String], String)] = [
            (["fit", "--resume", setup.folder.file("run"), "--lr", "0.1"], "--lr cannot be given with --resume"),
            (["fit", "--resume", setup.folder.file("nowhere")], "no such run folder"),
            (setup.fit("run", ["--steps", "2"]), "already holds a run"),
        ]
        for (arguments, message) in checks {
            let result = try CLIRunner.run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderrLines.first?.contains(message) == true, "\(arguments): \(result.stderr)")
        }
        // A checkpoint with a damaged file: named, exit 2, nothing trained.
        let optimizer = setup.folder.file("run/last/optimizer.zst")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: optimizer))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: optimizer))
        let damaged = try CLIRunner.run(["fit", "--resume", setup.folder.file("run"), "--steps", "2"])
        #expect(damaged.status == 2)
        #expect(damaged.stderrLines == ["patchtrain: error: \(optimizer): truncated: the compressed data ends in the middle of a frame"], "\(damaged.stderr)")
    }
}
