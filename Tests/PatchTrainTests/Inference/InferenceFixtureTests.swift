import Foundation
@testable import PatchTrain
import Testing

/// Inference against PyTorch: `Fixtures/inference/make_fixture.py` saved a small UNet3D with
/// `safetensors.torch.save_file`, an input, and the model's eval-mode softmax in float64.
@Suite(.serialized, .kernelExclusive) struct InferenceFixtureTests {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/inference").path

    static func infer(_ model: TrainedModel, _ image: any VolumeSource, window: Extent3, overlap: Double, blend: BlendMode = .gaussian,
                      mirroring: Bool = false) throws -> [Float] {
        let volume = image.shape.spatial
        let planner = InferencePlanner(configuration: model.configuration, volume: volume, overlap: overlap, blend: blend,
                                       mirroring: mirroring, output: InferenceOutput(labelsWholeVolume: false, probabilities: true),
                                       fixed: FixedMemory(runtimeBytes: 0, source: "test"))
        let plan = planner.plan(window: window, budget: Int.max)
        let inference = try SlidingWindowInference(plan: plan, parameters: model.parameters)
        let classes = model.configuration.classes
        var result = [Float](repeating: .nan, count: volume.volume * classes)
        let planeCount = volume.y * volume.z * classes
        try inference.infer(image, plane: { x, plane in
            for p in 0..<planeCount { result[x * planeCount + p] = plane[p] }
        })
        return result
    }

    @Test func probabilitiesMatchPyTorchEvalMode() throws {
        let model = try TrainedModel(path: "\(Self.folder)/small_unet.safetensors")
        #expect(model.configuration == UNetConfiguration(inputChannels: 1, classes: 3, baseFilters: 4, depth: 4, normalization: .batch))
        let image = try NPYVolume(path: "\(Self.folder)/image.npy")
        let expected = try NPYVolume(path: "\(Self.folder)/probabilities.npy").readAll()
        // One window over the whole volume: exactly PyTorch's forward.
        let got = try Self.infer(model, image, window: image.shape.spatial, overlap: 0)
        let worst = worstAbsoluteDifference(got, expected)
        var agree = 0
        for v in 0..<(got.count / 3) {
            let a = (0..<3).max { got[3 * v + $0] < got[3 * v + $1] }!, b = (0..<3).max { expected[3 * v + $0] < expected[3 * v + $1] }!
            if a == b { agree += 1 }
        }
        // Activations are stored in fp16 (relative rounding 2^-11 per layer, through 18 convolutions); PyTorch ran
        // in float64. Measured: 9.2e-4 at worst; the labels agree almost everywhere (near-ties aside).
        #expect(worst < 3e-3, "largest probability difference \(worst)")
        #expect(Double(agree) / Double(got.count / 3) > 0.995, "labels agree at \(agree) of \(got.count / 3) voxels")
    }

    /// A binary model as PyTorch users train it: a 2-class softmax head (`make_fixture.py --classes 2`). Its
    /// probabilities match PyTorch's, and `patchtrain infer` runs it end to end into a label map of 0 and 1.
    @Test func aBinaryTwoClassModelMatchesPyTorchAndInfersEndToEnd() throws {
        let path = "\(Self.folder)/small_unet_2class.safetensors"
        let model = try TrainedModel(path: path)
        #expect(model.configuration == UNetConfiguration(inputChannels: 1, classes: 2, baseFilters: 4, depth: 4, normalization: .batch))
        let image = try NPYVolume(path: "\(Self.folder)/image.npy")
        let expected = try NPYVolume(path: "\(Self.folder)/probabilities_2class.npy").readAll()
        let got = try Self.infer(model, image, window: image.shape.spatial, overlap: 0)
        #expect(worstAbsoluteDifference(got, expected) < 3e-3)
        let truth = (0..<(expected.count / 2)).map { expected[2 * $0 + 1] > expected[2 * $0] ? 1 : 0 }
        #expect(Set(truth) == [0, 1], "the fixture's model predicts both classes")

        let scratch = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: scratch.file("images"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(Self.folder)/image.npy", toPath: scratch.file("images/case.npy"))
        let result = try CLIRunner.run(["infer", "--model", path, "--input", scratch.file("images"), "--out", scratch.file("out"),
                                        "--ram", "1G", "--window", "32x48x32", "--overlap", "0"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let labels = try NPYVolume(path: scratch.file("out/case.npy"))
        #expect(labels.shape.spatial == image.shape.spatial)
        let written = try labels.readAll().map { Int($0) }
        var agree = 0
        for (a, b) in zip(written, truth) where a == b { agree += 1 }
        #expect(Set(written).isSubset(of: [0, 1]) && Double(agree) / Double(truth.count) > 0.995,
                "labels agree with PyTorch's at \(agree) of \(truth.count) voxels")
    }

    @Test func weightsWrittenBackAreTheTensorsPyTorchSaved() throws {
        let source = "\(Self.folder)/small_unet.safetensors"
        let model = try TrainedModel(path: source)
        let scratch = TemporaryFolder()
        try WeightsFile.write(model.parameters, to: scratch.file("weights.safetensors"))
        let original = try Safetensors.Reader(path: source), written = try Safetensors.Reader(path: scratch.file("weights.safetensors"))
        #expect(Set(original.entries.keys) == Set(written.entries.keys))
        for (name, entry) in original.entries {
            let other = try #require(written.entries[name])
            #expect(other.shape == entry.shape && other.elementType == entry.elementType, "\(name)")
            #expect(Array(original.bytes(of: entry)) == Array(written.bytes(of: other)), "\(name): bytes differ")
        }
    }

    /// With every 3×3×3 kernel reduced to its centre tap and the up-sampling weights zeroed, the network is a
    /// function of each voxel alone: windows then see exactly what the whole volume sees, so sliding-window
    /// inference — padding, mirroring, stitching — must reproduce the direct whole-volume forward.
    @Test func slidingWindowsReproduceTheWholeVolumeForAPointwiseNetwork() throws {
        let model = try TrainedModel(path: "\(Self.folder)/small_unet.safetensors")
        for spec in model.parameters.specs where spec.name.hasSuffix(".weight") && spec.shape.count == 5 {
            var values = model.parameters.pyTorchValues(spec.name)
            if spec.name.hasPrefix("up.") {
                values = values.map { _ in 0 }
            } else if spec.shape[2] == 3 {
                for i in values.indices where i % 27 != 13 { values[i] = 0 }
            }
            model.parameters.setPyTorchValues(spec.name, values)
        }
        let volume = Extent3(40, 36, 21)
        let scratch = TemporaryFolder()
        var generator = SeededGenerator(seed: 3)
        let image = (0..<volume.volume).map { _ in Float.random(in: -2...2, using: &generator) }
        try NPYWriter.write(image, elementType: .float32, shape: [volume.x, volume.y, volume.z, 1], to: scratch.file("image.npy"))
        let source = try NPYVolume(path: scratch.file("image.npy"))
        let direct = try Self.infer(model, source, window: Extent3(48, 48, 32), overlap: 0)
        for (blend, mirroring) in [(BlendMode.gaussian, false), (.constant, true)] {
            let stitched = try Self.infer(model, source, window: Extent3(16, 16, 16), overlap: 0.5, blend: blend, mirroring: mirroring)
            // The same per-voxel arithmetic on different tile shapes, up to rounding: Winograd F(4,3) along z mixes a
            // voxel's z neighbours into its fp32 transforms even where their weights are zero, so at a window's faces
            // (zero padding or mirrored data, where the whole volume has other values) the result's last bits differ,
            // and now and then an fp16 activation rounds the other way (one fp16 step is 2⁻¹¹ relative). Measured:
            // 24 and 36 of 90 720 values differ by more than 1e-5, at most 1.3e-4, 4e-8 and 8e-8 on average (with
            // F(2,3), whose coefficients are smaller, every value stayed within the earlier bound of 1e-5). A stitching error (a misplaced window, wrong blending weights,
            // a bad mirror) moves whole regions by far more.
            let differences = zip(direct, stitched).map { abs(Double($0) - Double($1)) }
            let worst = differences.max() ?? .infinity
            let mean = differences.reduce(0, +) / Double(differences.count)
            let rounded = differences.filter { !($0 < 1e-5) }.count
            let context = "\(blend), mirroring \(mirroring): largest difference \(worst), mean \(mean), \(rounded) above 1e-5"
            #expect(worst < 1e-3 && mean < 1e-6, "\(context)")
            #expect(rounded * 1000 <= differences.count, "\(context)")
        }
    }
}
