import Foundation
import Testing
@testable import PatchTrain

/// Numeric options far outside what any plan can hold are usage errors (exit 2, one line naming the option), not
/// overflows in the planner: huge patches, windows, batches, prefetch depths and run lengths.
@Suite struct OptionRangeTests {
    static let huge = "9223372036854775807"

    @Test(arguments: [
        ["plan", "--data", "DATA", "--ram", "1G", "--patch", "\(huge)x16x16"],
        ["plan", "--data", "DATA", "--ram", "1G", "--patch", "8192x16x16"],
        ["plan", "--data", "DATA", "--ram", "1G", "--batch", huge],
        ["plan", "--data", "DATA", "--ram", "1G", "--prefetch", huge],
        ["fit", "--data", "DATA", "--ram", "1G", "--epochs", huge],
        ["fit", "--data", "DATA", "--ram", "1G", "--steps", "4294967296"],
        ["fit", "--data", "DATA", "--ram", "1G", "--batch", "0"],
        ["infer", "--model", "MODEL", "--input", "DATA/images", "--out", "OUT", "--window", "16x16x\(huge)"],
        ["infer", "--model", "MODEL", "--input", "DATA/images", "--out", "OUT", "--windows-per-batch", huge],
    ])
    func hugeNumbersAreUsageErrors(arguments: [String]) throws {
        let folder = TemporaryFolder("patchtrain-ranges")
        let synth = try CLIRunner.run(["synth", "--out", folder.file("data"), "--cases", "1", "--shape", "32x32x32", "--seed", "1"])
        #expect(synth.status == 0, "stderr: \(synth.stderr)")
        let filled = arguments.map {
            $0.replacingOccurrences(of: "DATA", with: folder.file("data")).replacingOccurrences(of: "MODEL", with: folder.file("model"))
                .replacingOccurrences(of: "OUT", with: folder.file("out"))
        }
        let result = try CLIRunner.run(filled)
        #expect(result.status == 2, "\(arguments): exit \(result.status), stderr: \(result.stderr)")
        #expect(result.stderrLines.count == 1, "one line: \(result.stderr)")
        let option = arguments.first { $0.hasPrefix("--") && arguments.firstIndex(of: $0)! >= arguments.count - 2 } ?? ""
        #expect(result.stderr.contains(option), "names \(option): \(result.stderr)")
    }
}
