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
    /// Per case, where its slices for the report cross (through the truth's largest structure); found on the
    /// first validation, by one more pass over the mask.
    private var sliceCenters: [Extent3?]
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
        // Validation volumes may be larger than the training plan's volume (`MemoryPlan.validationVolume`).
        let plane = inferencePlan.volume.y * inferencePlan.volume.z
        predicted = .allocate(capacity: plane)
        truth = .allocate(capacity: plane)
        sliceCenters = cases.map { _ in nil }
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
        /// How long the validation took.
        public var seconds: Double
    }

    /// Passes (windows × mirrorings) over all cases, for a progress bar.
    public var totalPasses: Int {
        ownCases.reduce(0) { $0 + SlidingWindow(volume: $1.image.shape.spatial, window: inferencePlan.window, overlap: inferencePlan.overlap).count }
    }

    /// Floating-point operations of one validation on this rank: its forward passes, a batch of windows each.
    public var flopsPerRun: Double {
        Double(totalPasses) / Double(max(inferencePlan.windowsPerBatch, 1)) * inferencePlan.flopsPerBatch
    }

    /// The cases this rank validates.
    private var ownCases: [TrainingCase] {
        cases.indices.filter(communicator.owns).map { cases[$0] }
    }

    /// Validates every case; `slices` receives each case's truth and prediction slices (`step`: the step
    /// validated after) as the case is done, so that only one case's are ever held.
    public func run(afterStep step: Int = 0, progress: (Int) -> Void = { _ in },
                    slices: (ValidationSlices) throws -> Void = { _ in }) throws -> Result {
        let started = ContinuousClock.now
        let classes = inferencePlan.configuration.classes
        var perCase = [[Double]](repeating: [Double](repeating: 0, count: classes), count: cases.count)
        var before = 0
        for (index, item) in cases.enumerated() where communicator.owns(index) {
            // A file cut short since the run began is an error naming it, not a SIGBUS in the pass below.
            try item.image.checkUnchanged()
            try item.mask.checkUnchanged()
            let extent = item.image.shape.spatial
            let center = sliceCenters[index] ?? SliceCenter.throughLargestStructure(of: item.mask)
            sliceCenters[index] = center
            var truthSlices = OrthogonalSlices<UInt8>(extent: extent, center: center, filledWith: 0)
            var predictedSlices = truthSlices
            var confusion = ConfusionMatrix(size: 256)
            let voxels = extent.y * extent.z
            var passes = 0
            let pages = PageWindow(xPlanesOf: [item.mask])
            try inference.infer(item.image, plane: { x, probabilities in
                Stitcher.labels(of: probabilities, classes: classes, count: voxels, into: predicted)
                item.mask.readLabels(Box3(origin: Extent3(x, 0, 0), size: Extent3(1, extent.y, extent.z)), into: truth)
                if pages.releasesAfter(plane: x) { item.mask.releasePages() }
                confusion.add(truth: truth, predicted: predicted, count: voxels)
                truthSlices.take(xPlane: x, truth)
                predictedSlices.take(xPlane: x, predicted)
            }, progress: { done, _ in passes = done; progress(before + done) })
            item.mask.releasePages()
            // A pack's damaged chunk read as zeros in the pass; it stops the run here, named.
            try item.image.checkUnchanged()
            try item.mask.checkUnchanged()
            before += passes
            perCase[index] = (0..<classes).map { confusion.overlap(of: [$0]).dice }
            try slices(ValidationSlices(caseID: item.id, image: item.image.path, step: step, dice: perCase[index],
                                        truth: truthSlices, prediction: predictedSlices))
        }
        if communicator.isDistributed {
            let summed = try communicator.sum(perCase.flatMap { $0 })
            perCase = (0..<cases.count).map { Array(summed[($0 * classes)..<(($0 + 1) * classes)]) }
        }
        let mean = (0..<classes).map { k in perCase.map { $0[k] }.reduce(0, +) / Double(max(perCase.count, 1)) }
        let foreground = classes > 1 ? mean.dropFirst().reduce(0, +) / Double(classes - 1) : mean[0]
        let elapsed = ContinuousClock.now - started
        return Result(casesDice: perCase, caseIDs: cases.map(\.id), meanDice: mean, meanForegroundDice: foreground,
                      seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
}
