import Foundation
import Testing
@testable import PatchTrain

/// `patchtrain plan` as a user runs it.
@Suite struct PlanCommandTests {
    @Test func tooSmallABudgetExitsTwoNamingTheMinimum() throws {
        let result = try CLIRunner.run(["plan", "--ram", "100M"])
        #expect(result.status == 2)
        #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)")
        let line = result.stderrLines.first ?? ""
        #expect(line.hasPrefix("patchtrain: error: --ram 100M: "))
        #expect(line.contains("too small") && line.contains("needs"))
    }

    @Test func jsonPlanFitsTheBudgetAndRoundTrips() throws {
        let folder = TemporaryFolder()
        let out = folder.file("plan.json")
        let result = try CLIRunner.run(["plan", "--ram", "2G", "--shape", "240x240x160", "--json", "--out", out])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let predicted = try #require(summary["predictedPeakBytes"] as? Int)
        #expect(predicted <= 2 << 30)
        #expect(predicted > 1 << 30, "2 GiB of budget should be mostly used by the largest patch that fits")
        let plan = try JSONDecoder().decode(MemoryPlan.self, from: Data(contentsOf: URL(fileURLWithPath: out)))
        #expect(plan.predictedPeakBytes == predicted)
        #expect(plan.patch.x % 16 == 0 && plan.patch.y % 16 == 0 && plan.patch.z % 16 == 0)
        #expect(plan.microBatch * plan.accumulationSteps == 2)
    }

    /// `plan --time`: a 20-minute run on 240×240×160 cannot afford the whole volume on any CPU this runs on; the
    /// plan says time set the patch, what memory alone allows, and the step time it admits.
    @Test func aShortTimeChoosesASmallerPatchAndSaysSo() throws {
        let timed = try CLIRunner.run(["plan", "--ram", "4G", "--shape", "240x240x160", "--time", "20m", "--json"])
        #expect(timed.status == 0, "stderr: \(timed.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(timed.stdout.utf8)) as? [String: Any])
        let longest = try #require(summary["longestStepSeconds"] as? Double)
        #expect(abs(longest - 20 * 60 * TimeAllowance.trainingShare / TimeAllowance.minimumUpdates) < 1e-9)
        let memoryPatch = try #require(summary["memoryPatch"] as? [String: Int])
        #expect(memoryPatch == ["x": 240, "y": 240, "z": 160])
        let plan = try #require(summary["plan"] as? [String: Any])
        let patch = try #require(plan["patch"] as? [String: Int])
        let voxels = (patch["x"] ?? 0) * (patch["y"] ?? 0) * (patch["z"] ?? 0)
        #expect(voxels > 0 && voxels < 240 * 240 * 160 / 4)
        let step = try #require(summary["predictedStepSeconds"] as? Double)
        #expect(step <= longest || voxels <= TimeAllowance.smallestPatchVoxels)
        let text = try CLIRunner.run(["plan", "--ram", "4G", "--shape", "240x240x160", "--time", "20m"])
        #expect(text.stdout.contains("the patch is set by time (memory alone allows 240x240x160)"))
    }

    @Test func thePlanShowsOneRowPerCurriculumStageAndWhichSetsThePeak() throws {
        let grow = try CLIRunner.run(["plan", "--ram", "4G", "--shape", "240x240x160", "--json"])
        #expect(grow.status == 0, "stderr: \(grow.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(grow.stdout.utf8)) as? [String: Any])
        let stages = try #require(summary["stages"] as? [[String: Any]])
        #expect(stages.count >= 2)
        #expect(stages.filter { $0["setsPeak"] as? Bool == true }.count == 1)
        let peaks = stages.compactMap { $0["predictedPeakBytes"] as? Int }
        #expect(peaks.count == stages.count && peaks.max() == summary["predictedPeakBytes"] as? Int)
        #expect(stages.allSatisfy { ($0["predictedStepSeconds"] as? Double ?? 0) > 0 && ($0["share"] as? Double ?? 0) > 0 })
        let text = try CLIRunner.run(["plan", "--ram", "4G", "--shape", "240x240x160"])
        #expect(text.stdout.contains("curriculum  \(stages.count) stages"), "stdout: \(text.stdout)")

        let none = try CLIRunner.run(["plan", "--ram", "4G", "--shape", "240x240x160", "--curriculum", "none", "--json"])
        let single = try #require(try JSONSerialization.jsonObject(with: Data(none.stdout.utf8)) as? [String: Any])
        #expect((single["stages"] as? [[String: Any]])?.count == 1)
        let plan = try #require(single["plan"] as? [String: Any])
        #expect(plan["stages"] == nil)
        #expect(!(try CLIRunner.run(["plan", "--ram", "4G", "--shape", "240x240x160", "--curriculum", "none"]).stdout.contains("curriculum")))
    }

    @Test func badSizeIsAUsageError() throws {
        let result = try CLIRunner.run(["plan", "--ram", "lots"])
        #expect(result.status == 2)
        #expect(result.stderrLines.count == 1 && result.stderr.contains("'lots'") && result.stderr.contains("patchtrain plan --help"),
                "one line naming the value and pointing at the help: \(result.stderr)")
    }

    /// The plan is one file: a folder given as `--out` is refused before planning, and stays as it was.
    @Test func aFolderAsOutIsAUsageError() throws {
        let folder = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.file("plans"), withIntermediateDirectories: true)
        let result = try CLIRunner.run(["plan", "--ram", "2G", "--shape", "64x64x64", "--out", folder.file("plans")])
        #expect(result.status == 2 && result.stderrLines.count == 1 && result.stderr.contains("is a folder"), "stderr: \(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("plans")).isEmpty)
    }
}
