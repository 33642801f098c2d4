import Foundation
@testable import PatchTrain
import Testing

/// Validation inside `fit`, and the promise that `infer` + `evaluate` on the validation cases give back the Dice
/// that `fit` reported for the same weights.
@Suite(.serialized) struct FitValidationTests {
    @Test func inferringTheValidationCasesReproducesTheDiceFitReported() throws {
        let folder = TemporaryFolder()
        let data = folder.file("data"), run = folder.file("run")
        #expect(try CLIRunner.run(["synth", "--out", data, "--cases", "3", "--shape", "40x36x32", "--seed", "8"]).status == 0)
        let fit = try CLIRunner.run(["fit", "--data", data, "--ram", "1G", "--patch", "32x32x32", "--batch", "1", "--steps", "3",
                                     "--validation", "1", "--val-every", "2", "--lr", "3e-3", "--out", run])
        #expect(fit.status == 0, "stderr: \(fit.stderr)")
        // Validation ran after steps 2 and 3 (the last), and its figures are in the metrics.
        let records = try String(contentsOfFile: "\(run)/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode(StepRecord.self, from: Data($0.utf8)) }
        #expect(records.map { $0.validationDice != nil } == [false, true, true])
        let reported = try #require(records.last?.validationDice)
        // best/ holds the better of the two validations; it loads like last/.
        let config = try JSONDecoder().decode(RunConfiguration.self, from: Data(contentsOf: URL(fileURLWithPath: "\(run)/config.json")))
        let validationCase = try #require(config.validationCases?.first)
        _ = try TrainedModel(path: "\(run)/best")

        // The same weights, window (the training patch), overlap and windows per pass, through the user's commands.
        let predictions = folder.file("predictions")
        let infer = try CLIRunner.run(["infer", "--model", "\(run)/last", "--input", "\(data)/images/\(validationCase).npy",
                                       "--out", predictions, "--window", "32x32x32", "--overlap", "0.5", "--ram", "1G"])
        #expect(infer.status == 0, "stderr: \(infer.stderr)")
        let truth = folder.file("truth")
        try FileManager.default.createDirectory(atPath: truth, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(data)/masks/\(validationCase).npy", toPath: "\(truth)/\(validationCase).npy")
        let evaluate = try CLIRunner.run(["evaluate", "--pred", predictions, "--truth", truth, "--classes", "4", "--json"])
        #expect(evaluate.status == 0, "stderr: \(evaluate.stderr)")
        let scores = try #require(try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any])
        let evaluated = try #require(Self.classDice(scores))
        #expect(evaluated.count == reported.count)
        for (k, (a, b)) in zip(evaluated, reported).enumerated() {
            #expect(abs(a - b) < 1e-9, "class \(k): evaluate \(a), fit \(b)")
        }
    }

    /// The mean Dice per class from `evaluate --json`.
    static func classDice(_ json: [String: Any]) -> [Double]? {
        guard let mean = json["mean"] as? [String: Any], let classes = mean["classes"] as? [[String: Any]] else { return nil }
        return classes.compactMap { $0["dice"] as? Double }
    }
}
