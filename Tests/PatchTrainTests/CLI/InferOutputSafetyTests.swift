import Foundation
@testable import PatchTrain
import Testing

/// `infer` never destroys what it was given: outputs that would land on an input, or two inputs that would write
/// one output, are refused before any work (exit 2, one line naming the file), and a model it cannot run is
/// refused with the reason.
@Suite(.serialized) struct InferOutputSafetyTests {
    static let model = InferCommandTests.model

    static func contents(of folder: String) -> [String: Data] {
        var files: [String: Data] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            files[name] = FileManager.default.contents(atPath: "\(folder)/\(name)")
        }
        return files
    }

    @Test func outIntoTheInputFolderExitsTwoAndLeavesTheInputsAsTheyWere() throws {
        let scratch = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: scratch.file("images"), withIntermediateDirectories: true)
        try InferCommandTests.image(Extent3(20, 18, 17), to: scratch.file("images/case_a.npy"))
        try InferCommandTests.image(Extent3(20, 18, 17), to: scratch.file("images/case_b.npy"))
        let before = Self.contents(of: scratch.file("images"))
        for out in [scratch.file("images"), scratch.file("images/../images/")] {
            let result = try CLIRunner.run(["infer", "--model", Self.model, "--input", scratch.file("images"), "--out", out])
            #expect(result.status == 2)
            #expect(result.stderrLines.count == 1)
            #expect(result.stderr.contains("case_a.npy") && result.stderr.contains("would overwrite it"))
            #expect(Self.contents(of: scratch.file("images")) == before)
        }
    }

    @Test func twoInputsWithOneStemExitTwoBeforeWritingAnything() throws {
        let scratch = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: scratch.file("in"), withIntermediateDirectories: true)
        try InferCommandTests.image(Extent3(20, 18, 17), to: scratch.file("in/case.npy"))
        try NIfTIWriter.writeFloats([Float](repeating: 0.5, count: 20 * 18 * 17), shape: VolumeShape(x: 20, y: 18, z: 17),
                                    like: nil, to: scratch.file("in/case.nii"))
        let result = try CLIRunner.run(["infer", "--model", Self.model, "--input", scratch.file("in"), "--out", scratch.file("out")])
        #expect(result.status == 2)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("same output") && result.stderr.contains("case.npy"))
        #expect(!FileManager.default.fileExists(atPath: scratch.file("out")))
    }

    /// A head of one class has no softmax to speak of; the model is refused before anything reads its weights.
    @Test func aOneClassModelIsRefusedNamingWhy() throws {
        let scratch = TemporaryFolder()
        let tensors: [(name: String, elementType: ElementType, shape: [Int])] = [
            ("enc.0.net.0.weight", .float32, [16, 1, 3, 3, 3]), ("out.weight", .float32, [1, 16, 1, 1, 1]),
        ]
        try Safetensors.write(path: scratch.file("one.safetensors"), tensors: tensors) { index, write in
            let count = tensors[index].shape.reduce(1, *)
            try [Float](repeating: 0, count: count).withUnsafeBytes { try write($0) }
        }
        try InferCommandTests.image(Extent3(20, 18, 17), to: scratch.file("a.npy"))
        let result = try CLIRunner.run(["infer", "--model", scratch.file("one.safetensors"), "--input", scratch.file("a.npy"),
                                        "--out", scratch.file("out")])
        #expect(result.status == 2)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("one.safetensors") && result.stderr.contains("classes"))
    }
}
