import Foundation
import Testing
@testable import PatchTrain

/// `patchtrain fit --time` as a user runs it: the command ends inside its wall-clock budget with its checkpoints and
/// a final validation, says how long it ran against the budget, and `--time` is an alternative to `--steps`.
@Suite(.serialized) struct FitTimeCommandTests {
    @Test func aTimedRunEndsInsideItsBudgetWithAFinalValidation() throws {
        let folder = TemporaryFolder()
        let data = folder.file("data"), run = folder.file("run")
        let synth = try CLIRunner.run(["synth", "--out", data, "--cases", "3", "--shape", "32x32x32", "--seed", "4"])
        #expect(synth.status == 0, "stderr: \(synth.stderr)")
        let started = Date()
        let result = try CLIRunner.run(["fit", "--data", data, "--ram", "1G", "--time", "12s", "--validation", "1", "--out", run])
        let wall = Date().timeIntervalSince(started)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        // The budget covers the whole command; the test's own process start-up is the only addition allowed.
        #expect(wall <= 12 * 1.03 + 0.5, "the command took \(wall) s of a 12 s budget")
        #expect(result.stdout.contains("time: ran") && result.stdout.contains("of the 12s budget"), "stdout: \(result.stdout)")
        let records = try String(contentsOfFile: "\(run)/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode(StepRecord.self, from: Data($0.utf8)) }
        #expect(records.count >= 2)
        #expect(records.last?.validationDice != nil, "the last step is validated")
        let state = try Checkpoint.readState(of: "\(run)/last")
        #expect(state.step == records.count)
        let used = try #require(state.timeUsedSeconds)
        #expect(used > 0 && used <= 12)
        _ = try TrainedModel(path: "\(run)/best")
        let config = try JSONDecoder().decode(RunConfiguration.self, from: Data(contentsOf: URL(fileURLWithPath: "\(run)/config.json")))
        #expect(config.timeBudgetSeconds == 12)
    }

    @Test(arguments: [["--time", "1m", "--steps", "3"], ["--time", "1m", "--epochs", "1"], ["--time", "90"], ["--time", "1m30h"]])
    func lengthsAreAlternativesAndDurationsAreChecked(more: [String]) throws {
        let result = try CLIRunner.run(["fit", "--data", "nowhere", "--ram", "1G"] + more)
        #expect(result.status == 2, "stderr: \(result.stderr)")
    }
}
