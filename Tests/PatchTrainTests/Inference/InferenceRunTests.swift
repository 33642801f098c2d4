import Foundation
@testable import PatchTrain
import Testing

/// `InferenceRun` as the CLI drives it: inputs listed from a folder, outputs named by stem, progress over all
/// cases, and every fixable problem found before anything is written.
@Suite(.serialized, .kernelExclusive) struct InferenceRunTests {
    static let model = "\(InferenceFixtureTests.folder)/small_unet.safetensors"

    static func image(_ extent: Extent3, to path: String) throws {
        let values = (0..<extent.volume).map { Float($0 % 11) / 11 }
        try NPYWriter.write(values, elementType: .float32, shape: [extent.x, extent.y, extent.z, 1], to: path)
    }

    @Test func infersEveryVolumeOfAFolderInNameOrder() throws {
        let scratch = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: scratch.file("in/sub.npy"), withIntermediateDirectories: true)
        try Self.image(Extent3(20, 18, 17), to: scratch.file("in/b.npy"))
        try Self.image(Extent3(16, 16, 16), to: scratch.file("in/a.npy"))
        try Self.image(Extent3(16, 16, 16), to: scratch.file("in/.hidden.npy"))
        try Data("notes".utf8).write(to: URL(fileURLWithPath: scratch.file("in/readme.txt")))
        let run = try InferenceRun(model: Self.model, input: scratch.file("in"), out: scratch.file("out"),
                                   budget: MemoryBudget(bytes: 1 << 30, source: "test"),
                                   settings: InferenceSettings(window: Extent3(16, 16, 16)))
        #expect(run.cases.map(\.stem) == ["a", "b"], "hidden files, sub-folders and other files are not inputs")
        var seen: [Int] = []
        run.onProgress = { seen.append($0) }
        let cases = try run.run()
        #expect(cases.map(\.labels) == [scratch.file("out/a.npy"), scratch.file("out/b.npy")])
        #expect(cases.map(\.passes).reduce(0, +) == run.totalPasses)
        #expect(seen.last == run.totalPasses && seen == seen.sorted(), "progress counts passes over all cases")
        #expect(try NPYVolume(path: scratch.file("out/b.npy")).shape == VolumeShape(x: 20, y: 18, z: 17))
    }

    @Test func aWindowOffTheRuleOrATooSmallBudgetFailsBeforeWriting() throws {
        let scratch = TemporaryFolder()
        try Self.image(Extent3(16, 16, 16), to: scratch.file("a.npy"))
        #expect(throws: InputError("--window 24x16x16", "every edge must be a positive multiple of 16")) {
            _ = try InferenceRun(model: Self.model, input: scratch.file("a.npy"), out: scratch.file("out"),
                                 budget: MemoryBudget(bytes: 1 << 30, source: "test"),
                                 settings: InferenceSettings(window: Extent3(24, 16, 16)))
        }
        do {
            _ = try InferenceRun(model: Self.model, input: scratch.file("a.npy"), out: scratch.file("out"),
                                 budget: MemoryBudget(bytes: 1 << 20, source: "--ram 1M"), settings: InferenceSettings())
            Issue.record("a 1 MiB budget cannot fit inference")
        } catch let error as InputError {
            #expect(error.file == "--ram 1M" && error.problem.contains("too small") && error.problem.contains("needs"))
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.file("out")))
    }

    @Test func theBudgetBreachReadsTheSameForEveryRun() {
        let breach = MemoryBudget.breach(peak: 3 << 20, budget: 2 << 20, predicted: 1 << 20, moment: "at step 7")
        #expect(breach.message == "peak RSS 3.0 MiB went over the budget 2.0 MiB at step 7 (predicted 1.0 MiB)")
    }
}
