import Foundation
@testable import PatchTrain
import Testing

/// `patchtrain infer` as a user runs it, with the small PyTorch-saved model of `Fixtures/inference`.
@Suite(.serialized) struct InferCommandTests {
    static let model = "\(InferenceFixtureTests.folder)/small_unet.safetensors"

    static func image(_ extent: Extent3, channels: Int = 1, to path: String) throws {
        var generator = SeededGenerator(seed: 9)
        let values = (0..<extent.volume * channels).map { _ in Float.random(in: -1...1, using: &generator) }
        try NPYWriter.write(values, elementType: .float32, shape: [extent.x, extent.y, extent.z, channels], to: path)
    }

    @Test func outputsKeepTheInputShapeWhenEdgesAreNotMultiplesOf16() throws {
        let scratch = TemporaryFolder()
        try Self.image(Extent3(40, 36, 31), to: scratch.file("case_a.npy"))
        let result = try CLIRunner.run(["infer", "--model", Self.model, "--input", scratch.file("case_a.npy"),
                                        "--out", scratch.file("out"), "--window", "32x32x32", "--probabilities", "--ram", "1G"])
        #expect(result.status == 0, "\(result.stderr)")
        let labels = try NPYVolume(path: scratch.file("out/case_a.npy"))
        #expect(labels.elementType == .uint8)
        #expect(labels.shape == VolumeShape(x: 40, y: 36, z: 31))
        let probabilities = try NPYVolume(path: scratch.file("out/case_a_probabilities.npy"))
        #expect(probabilities.elementType == .float16)
        #expect(probabilities.shape == VolumeShape(x: 40, y: 36, z: 31, channels: 3))
        // The label map is the argmax of the probabilities written beside it, and they sum to one per voxel.
        let l = labels.readAll(), p = probabilities.readAll()
        var gaps = [Float](), sums = [Float]()
        for v in 0..<l.count {
            let q = Array(p[(3 * v)..<(3 * v + 3)])
            sums.append(abs(q.reduce(0, +) - 1))
            // The labels come from the fp32 probabilities; where the fp16 copy disagrees it can only be a near-tie.
            gaps.append(q.reduce(-Float.infinity) { Swift.max($0, $1) } - q[Int(l[v])])
        }
        let worstSum = finiteMaximum(sums), worstGap = finiteMaximum(gaps)
        #expect(worstSum < 3e-3, "fp16 probabilities sum to 1 within rounding")
        #expect(worstGap <= 1e-3, "every label is the argmax up to fp16 rounding; largest gap \(worstGap)")
        #expect(result.stdout.contains("peak RSS measured"))
    }

    @Test func bratsOriginalShapeComesBackWhole() throws {
        // 240×240×155: z is not a multiple of 16; the window passes the border and the output keeps the input's shape.
        let scratch = TemporaryFolder()
        try Self.image(Extent3(240, 240, 155), to: scratch.file("brats.npy"))
        let result = try CLIRunner.run(["infer", "--model", Self.model, "--input", scratch.file("brats.npy"),
                                        "--out", scratch.file("out"), "--window", "240x240x160", "--ram", "2G"])
        #expect(result.status == 0, "\(result.stderr)")
        let labels = try NPYVolume(path: scratch.file("out/brats.npy"))
        #expect(labels.shape == VolumeShape(x: 240, y: 240, z: 155))
        #expect(labels.elementType == .uint8)
    }

    @Test func niftiOutputKeepsTheInputGeometry() throws {
        let scratch = TemporaryFolder()
        let shape = VolumeShape(x: 20, y: 18, z: 17)
        var header = NIfTIHeader(shape: shape, elementType: .float32)
        header.sformCode = 1
        header.srowX = [0, -1.5, 0, 90]
        header.srowY = [1.5, 0, 0, -120]
        header.srowZ = [0, 0, 2, -60]
        header.pixdim = [1, 1.5, 1.5, 2, 1, 1, 1, 1]
        try NIfTIWriter.writeFloats((0..<shape.elements).map { Float($0 % 7) / 7 }, shape: shape, like: header,
                                    to: scratch.file("brain.nii.gz"))
        let result = try CLIRunner.run(["infer", "--model", Self.model, "--input", scratch.file("brain.nii.gz"),
                                        "--out", scratch.file("out"), "--format", "nifti", "--ram", "1G"])
        #expect(result.status == 0, "\(result.stderr)")
        let output = try NIfTIVolume(path: scratch.file("out/brain.nii.gz"))
        #expect(output.shape == shape)
        #expect(output.elementType == .uint8)
        #expect(output.header.srowX == header.srowX && output.header.srowY == header.srowY && output.header.srowZ == header.srowZ)
        #expect(Array(output.header.pixdim[1...3]) == [1.5, 1.5, 2])
    }

    @Test func aBudgetTooSmallExitsTwoWithTheMinimum() throws {
        let scratch = TemporaryFolder()
        try Self.image(Extent3(32, 32, 32), to: scratch.file("a.npy"))
        let result = try CLIRunner.run(["infer", "--model", Self.model, "--input", scratch.file("a.npy"), "--out", scratch.file("out"),
                                        "--ram", "20M"])
        #expect(result.status == 2)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("--ram 20M") && result.stderr.contains("too small") && result.stderr.contains("needs"))
    }

    @Test func badInputsExitTwoNamingTheFile() throws {
        let scratch = TemporaryFolder()
        // A truncated volume.
        try Self.image(Extent3(16, 16, 16), to: scratch.file("whole.npy"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: scratch.file("whole.npy")))
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: scratch.file("cut.npy")))
        // Two channels for a one-channel model.
        try Self.image(Extent3(16, 16, 16), channels: 2, to: scratch.file("two.npy"))
        // A NaN deep inside.
        var values = (0..<4096).map { Float($0 % 13) / 13 }
        values[(5 * 16 + 6) * 16 + 7] = .nan
        try NPYWriter.write(values, elementType: .float32, shape: [16, 16, 16, 1], to: scratch.file("nan.npy"))
        for (input, problem) in [("cut.npy", "cut.npy"), ("two.npy", "channel"), ("nan.npy", "(5, 6, 7)")] {
            let result = try CLIRunner.run(["infer", "--model", Self.model, "--input", scratch.file(input), "--out", scratch.file("out")])
            #expect(result.status == 2, "\(input): \(result.stderr)")
            #expect(result.stderrLines.count == 1 && result.stderr.contains(scratch.file(input)) && result.stderr.contains(problem),
                    "\(result.stderr)")
        }
        let missing = try CLIRunner.run(["infer", "--model", scratch.file("none/weights.safetensors"), "--input", scratch.file("whole.npy"),
                                         "--out", scratch.file("out")])
        #expect(missing.status == 2 && missing.stderrLines.count == 1 && missing.stderr.contains("none/weights.safetensors"))
    }
}
