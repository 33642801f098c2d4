import Foundation
import Testing
@testable import PatchTrain

/// `patchtrain fit` as a user runs it, on a small synthetic dataset.
@Suite(.serialized) struct FitCommandTests {
    @Test func trainsUnderItsPlanAndWritesTheRunFolder() throws {
        let folder = TemporaryFolder()
        let data = folder.file("data"), run = folder.file("run")
        let synth = try CLIRunner.run(["synth", "--out", data, "--cases", "2", "--shape", "32x32x32", "--seed", "4"])
        #expect(synth.status == 0, "stderr: \(synth.stderr)")
        let result = try CLIRunner.run(["fit", "--data", data, "--ram", "1G", "--steps", "2", "--out", run, "--json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let measured = try #require(summary["measuredPeakBytes"] as? Int)
        let predicted = try #require(summary["predictedPeakBytes"] as? Int)
        #expect(measured <= 1 << 30)
        #expect(predicted > 0)
        let lines = try String(contentsOfFile: "\(run)/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let plan = try JSONDecoder().decode(MemoryPlan.self, from: Data(contentsOf: URL(fileURLWithPath: "\(run)/plan.json")))
        #expect(plan.predictedPeakBytes == predicted)
        // The weights load back into the network the plan describes.
        let graph = LayerGraph(configuration: plan.configuration, patch: plan.patch, microBatch: plan.microBatch)
        try WeightsFile.read("\(run)/last/weights.safetensors", into: ParameterStore(specs: graph.parameters))
    }

    @Test func tooSmallABudgetExitsTwoWithTheMinimum() throws {
        let folder = TemporaryFolder()
        let data = folder.file("data")
        _ = try CLIRunner.run(["synth", "--out", data, "--cases", "1", "--shape", "32x32x32"])
        let result = try CLIRunner.run(["fit", "--data", data, "--ram", "64M", "--out", folder.file("run")])
        #expect(result.status == 2)
        #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)")
        #expect(result.stderrLines.first?.contains("too small") == true)
        #expect(result.stderrLines.first?.contains("needs") == true)
    }
}
