/// Validation during training: sliding-window inference over whole validation volumes with the weights being
/// trained, Dice per class against their masks. It runs between optimizer steps, when the training arena is idle,
/// so the forward pass, the stitching slab and the input windows live inside that arena (`ValidationMemory`
/// counts whatever does not fit there).
public final class Validator {
    public let cases: [TrainingCase]
    public let inferencePlan: InferencePlan
    private let inference: SlidingWindowInference
    private let predicted: UnsafeMutablePointer<UInt8>
    private let truth: UnsafeMutablePointer<UInt8>
    /// In a data-parallel run each rank validates every `size`-th case from its rank on, and the Dice scores
    /// are summed across ranks, so every rank gets the whole result.
    private let communicator: any Communicator

    /// Windows are the training patch, `overlap` apart, Gaussian-blended, `plan.microBatch` per pass.
    public init(plan: MemoryPlan, parameters: ParameterStore, trainingArena: Arena, cases: [TrainingCase],
                overlap: Double = 0.5, communicator: any Communicator = SingleProcess()) throws {
        self.cases = cases
        self.communicator = communicator
        let memory = ValidationMemory(plan: plan, overlap: overlap)
        inferencePlan = memory.inferencePlan
        let parts = memory.arenaParts
        let arena = parts.arenaFits ? Arena(borrowing: trainingArena, size: parts.arena) : nil
        let slab = parts.slabFits ? trainingArena.base + parts.slabOffset : nil
        let input = parts.inputFits ? (trainingArena.base + parts.inputOffset).bindMemory(to: Float16.self, capacity: parts.input / 2) : nil
        inference = try SlidingWindowInference(plan: inferencePlan, parameters: parameters,
                                               loan: SlidingWindowInference.Loan(arena: arena, slab: slab, input: input))
        let plane = plan.volume.y * plan.volume.z
        predicted = .allocate(capacity: plane)
        truth = .allocate(capacity: plane)
    }

    deinit {
        predicted.deallocate()
        truth.deallocate()
    }

    public struct Result: Sendable, Codable, Equatable {
        /// Dice per class for each case, in case order.
        public var casesDice: [[Double]]
        public var caseIDs: [String]
        /// Mean over cases, per class.
        public var meanDice: [Double]
        /// Mean of `meanDice` over the foreground classes (all but class 0).
        public var meanForegroundDice: Double
    }

    /// Passes (windows × mirrorings) over all cases, for a progress bar.
    public var totalPasses: Int {
        ownCases.reduce(0) { $0 + SlidingWindow(volume: $1.image.shape.spatial, window: inferencePlan.window, overlap: inferencePlan.overlap).count }
    }

    /// The cases this rank validates.
    private var ownCases: [TrainingCase] {
        cases.enumerated().filter { $0.offset % communicator.size == communicator.rank }.map(\.element)
    }

    public func run(progress: (Int) -> Void = { _ in }) throws -> Result {
        let classes = inferencePlan.configuration.classes
        var perCase = [[Double]](repeating: [Double](repeating: 0, count: classes), count: cases.count)
        var before = 0
        for (number, item) in cases.enumerated() where number % communicator.size == communicator.rank {
            let extent = item.image.shape.spatial
            var confusion = ConfusionMatrix(size: 256)
            let voxels = extent.y * extent.z
            var passes = 0
            let pages = PageWindow(xPlanesOf: [item.mask])
            try inference.infer(item.image, plane: { x, probabilities in
                Stitcher.labels(of: probabilities, classes: classes, count: voxels, into: predicted)
                item.mask.readLabels(Box3(origin: Extent3(x, 0, 0), size: Extent3(1, extent.y, extent.z)), into: truth)
                if pages.releasesAfter(plane: x) { item.mask.releasePages() }
                confusion.add(truth: truth, predicted: predicted, count: voxels)
            }, progress: { done, _ in passes = done; progress(before + done) })
            item.mask.releasePages()
            before += passes
            perCase[number] = (0..<classes).map { confusion.overlap(of: [$0]).dice }
        }
        if communicator.isDistributed {
            let summed = try communicator.sum(perCase.flatMap { $0 })
            perCase = (0..<cases.count).map { Array(summed[($0 * classes)..<(($0 + 1) * classes)]) }
        }
        let mean = (0..<classes).map { k in perCase.map { $0[k] }.reduce(0, +) / Double(max(perCase.count, 1)) }
        let foreground = classes > 1 ? mean.dropFirst().reduce(0, +) / Double(classes - 1) : mean[0]
        return Result(casesDice: perCase, caseIDs: cases.map(\.id), meanDice: mean, meanForegroundDice: foreground)
    }
}
