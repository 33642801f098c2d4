import Foundation
@testable import PatchTrain
import Testing

/// The validator runs sliding-window inference inside a borrowed training arena: its Dice must be exactly what
/// an independent inference and an independent count give.
@Suite(.serialized, .kernelExclusive) struct ValidatorTests {
    @Test func diceInTheBorrowedArenaMatchesAnIndependentCount() throws {
        let model = try TrainedModel(path: "\(InferenceFixtureTests.folder)/small_unet.safetensors")
        let classes = model.configuration.classes
        let volume = Extent3(40, 36, 31), patch = Extent3(32, 32, 32)
        let scratch = TemporaryFolder()
        var generator = SeededGenerator(seed: 21)
        let image = (0..<volume.volume).map { _ in Float.random(in: -1...1, using: &generator) }
        try NPYWriter.write(image, elementType: .float32, shape: [volume.x, volume.y, volume.z, 1], to: scratch.file("image.npy"))
        let source = try NPYVolume(path: scratch.file("image.npy"))

        // Independently: inference outside any arena, the training patch as window, overlap 0.5.
        let probabilities = try InferenceFixtureTests.infer(model, source, window: patch, overlap: 0.5)
        let predicted = (0..<volume.volume).map { v in UInt8((0..<classes).max { probabilities[v * classes + $0] < probabilities[v * classes + $1] }!) }
        // The truth: the prediction with every 5th voxel moved to the next class.
        let truth = predicted.enumerated().map { i, p in i % 5 == 0 ? UInt8((Int(p) + 1) % classes) : p }
        try NPYWriter.write(predicted, elementType: .uint8, shape: [volume.x, volume.y, volume.z], to: scratch.file("exact.npy"))
        try NPYWriter.write(truth, elementType: .uint8, shape: [volume.x, volume.y, volume.z], to: scratch.file("shifted.npy"))
        let expected: [Double] = (0..<classes).map { k in
            var tp = 0, fp = 0, fn = 0
            for (p, t) in zip(predicted, truth) {
                if Int(p) == k && Int(t) == k { tp += 1 } else if Int(p) == k { fp += 1 } else if Int(t) == k { fn += 1 }
            }
            return tp + fp + fn == 0 ? 1 : Double(2 * tp) / Double(2 * tp + fp + fn)
        }

        let planner = MemoryPlanner(configuration: model.configuration, volume: volume, effectiveBatch: 1,
                                    fixed: FixedMemory(runtimeBytes: 0, source: "test"), workspaceBytes: KernelWorkspace.bytes)
        let plan = planner.plan(patch: patch, microBatch: 1, budget: Int.max)
        let arena = try Arena(size: plan.arena.bytes)
        // Garbage in the arena, as a training step leaves it.
        arena.base.initializeMemory(as: UInt8.self, repeating: 0xA5, count: arena.size)
        let cases = [TrainingCase(id: "exact", image: source, mask: try NPYVolume(path: scratch.file("exact.npy"))),
                     TrainingCase(id: "shifted", image: source, mask: try NPYVolume(path: scratch.file("shifted.npy")))]
        let validator = try Validator(plan: plan, parameters: model.parameters, trainingArena: arena, cases: cases)
        let memory = ValidationMemory(plan: plan)
        #expect(memory.arenaParts.arenaFits && memory.arenaParts.slabFits && memory.arenaParts.inputFits)
        var slices: [ValidationSlices] = []
        let result = try validator.run(afterStep: 7, slices: { slices.append($0) })
        #expect(result.caseIDs == ["exact", "shifted"])
        // The slices it saved for the report are the prediction's and the truth's planes through the truth's
        // largest structure, as an independent read of the label files gives them.
        #expect(slices.map(\.caseID) == ["exact", "shifted"] && slices.allSatisfy { $0.step == 7 })
        for (saved, item) in zip(slices, cases) {
            let mask = item.mask
            let center = SliceCenter.throughLargestStructure(of: mask)
            #expect(saved.center == center && saved.extent == volume)
            #expect(saved.truthSlices.planes == OrthogonalSlices(labels: mask, center: center).planes)
            let exact = try NPYVolume(path: scratch.file("exact.npy"))
            #expect(saved.predictionSlices.planes == OrthogonalSlices(labels: exact, center: center).planes)
        }
        #expect(slices[0].dice == result.casesDice[0] && slices[1].dice == result.casesDice[1])
        #expect(result.casesDice[0] == [Double](repeating: 1, count: classes))
        for k in 0..<classes { #expect(abs(result.casesDice[1][k] - expected[k]) < 1e-12, "class \(k)") }
        #expect(abs(result.meanForegroundDice - (1..<classes).map { (1 + expected[$0]) / 2 }.reduce(0, +) / Double(classes - 1)) < 1e-12)
    }
}
