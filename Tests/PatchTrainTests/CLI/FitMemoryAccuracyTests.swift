import Foundation
import Testing
@testable import PatchTrain

/// The promise, checked where users meet it: `fit` in a fresh process, planned for a budget, reports a measured peak
/// RSS under the budget and within 5% of the plan's prediction. (The bench measures it at 1–8 GiB; this is the
/// smallest budget where the plan is dominated by what a real run holds rather than by fixed overheads.)
@Suite(.serialized, .kernelExclusive) struct FitMemoryAccuracyTests {
    @Test func measuredPeakIsWithinFivePercentOfThePlan() throws {
        let folder = TemporaryFolder("patchtrain-accuracy")
        let synth = try CLIRunner.run(["synth", "--out", folder.file("data"), "--cases", "2", "--shape", "128x128x96", "--seed", "2"])
        #expect(synth.status == 0, "stderr: \(synth.stderr)")
        let fit = try CLIRunner.run(["fit", "--data", folder.file("data"), "--ram", "600M", "--steps", "1", "--curriculum", "none", "--out", folder.file("run"),
                                     "--checkpoint-every", "0", "--json"])
        #expect(fit.status == 0, "stderr: \(fit.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(fit.stdout.utf8)) as? [String: Any])
        let measured = try #require(summary["measuredPeakBytes"] as? Int)
        let predicted = try #require(summary["predictedPeakBytes"] as? Int)
        #expect(predicted <= 600 << 20 && measured <= 600 << 20)
        let error = Double(predicted - measured) / Double(measured)
        #expect(abs(error) <= 0.05, "measured \(ByteCount.format(measured)), predicted \(ByteCount.format(predicted)): \(error * 100)%")
        print("fit --ram 600M: measured \(ByteCount.format(measured)), predicted \(ByteCount.format(predicted)) (\(String(format: "%+.1f", error * 100))%)")
    }
}
