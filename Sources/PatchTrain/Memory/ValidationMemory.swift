/// The bytes validation adds to a training run. Validation runs between optimizer steps with the training
/// arena idle, so its forward arena, stitching slab and input windows are placed inside that arena where they
/// fit; only what does not fit, the window reader (its slab and the image pages it maps — file pages cannot live
/// in an anonymous arena), the mask pages mapped while reading the truth, the label planes compared, and the
/// run's pictures (the truth and prediction slices of the case being validated, `progress.png`) are extra.
/// Validation starts once the training patch reader rests (`Prefetcher.waitUntilResting`), so the file pages that
/// reader maps (the plan's `data.mappedPages`) are given back while validation maps its own: only the excess of
/// validation's mapped pages over them is extra.
public struct ValidationMemory: Hashable, Codable, Sendable {
    public var inferencePlan: InferencePlan
    public var arenaParts: ArenaParts
    /// Bytes beyond the training plan's other categories.
    public var extraBytes: Int

    /// Offsets inside the training arena (page-aligned) and whether each part fits there.
    public struct ArenaParts: Hashable, Codable, Sendable {
        public var arena: Int
        public var slab: Int
        public var input: Int
        public var slabOffset: Int
        public var inputOffset: Int
        public var arenaFits: Bool
        public var slabFits: Bool
        public var inputFits: Bool
    }

    public init(plan: MemoryPlan, overlap: Double = 0.5) {
        let volume = plan.validationVolume ?? plan.volume
        let planner = InferencePlanner(configuration: plan.configuration, volume: volume, overlap: overlap,
                                       output: InferenceOutput(labelsWholeVolume: false, probabilities: false),
                                       fixed: plan.fixed)
        inferencePlan = planner.plan(window: plan.patch, windowsPerBatch: plan.microBatch, budget: plan.budgetBytes)
        let m = inferencePlan.memory
        let page = MappedFile.pageSize
        func aligned(_ n: Int) -> Int { (n + page - 1) / page * page }
        let available = plan.trainingArenaBytes
        let arenaFits = m.arenaBytes <= available
        let slabOffset = arenaFits ? aligned(m.arenaBytes) : 0
        let slabFits = slabOffset + m.stitchBytes <= available
        let inputOffset = slabFits ? aligned(slabOffset + m.stitchBytes) : slabOffset
        let inputFits = inputOffset + m.inputBytes <= available
        arenaParts = ArenaParts(arena: m.arenaBytes, slab: m.stitchBytes, input: m.inputBytes, slabOffset: slabOffset,
                                inputOffset: inputOffset, arenaFits: arenaFits, slabFits: slabFits, inputFits: inputFits)
        let plane = volume.y * volume.z
        // The window reader's image pages (in `readerBytes`) and the truth's mask pages.
        let mapped = 2 * PageWindow.mappedBytes
        extraBytes = (arenaFits ? 0 : m.arenaBytes) + (slabFits ? 0 : m.stitchBytes) + (inputFits ? 0 : m.inputBytes)
            + m.readerBytes + PageWindow.mappedBytes - min(mapped, plan.data.mappedPages) + 2 * plane
            + ValidationMemory.slicesBytes(volume: volume) + ValidationMemory.progressPictureBytes
    }

    /// The size of `progress.png`, the curves `fit` draws after each validation.
    public static let progressPicture = (width: 960, height: 360)

    /// `progress.png` in the making: its pixels, the encoded file twice (libpng's buffer and its copy, each at most
    /// the pixels' size), and 512 KiB for zlib's deflate state and the run's curves (`TrainingCurves`: at most
    /// 2,048 points of five values, 80 KiB, and the validations' Dice).
    public static var progressPictureBytes: Int { 3 * progressPicture.width * progressPicture.height * 3 + (512 << 10) }

    /// A validation case's truth and prediction slices through the largest structure (three orthogonal planes each,
    /// one byte a voxel), and their JSON text as the run writes it (base64, at most 3× the bytes with the encoder's
    /// buffers): 8× the slices' voxels.
    public static func slicesBytes(volume: Extent3) -> Int {
        8 * (volume.y * volume.z + volume.x * volume.z + volume.x * volume.y)
    }
}

extension MemoryPlan {
    /// This plan with validation planned for volumes of `extents`: where any is larger than the planned volume on
    /// some axis, `validationVolume` becomes the per-axis largest and `validationBytes` is counted for it. Training
    /// (patch, batch, arena) is unchanged; so is the whole plan when every extent fits the planned volume.
    public func validatingExtents(_ extents: some Sequence<Extent3>) -> MemoryPlan {
        var largest = validationVolume ?? volume
        for extent in extents {
            for axis in 0..<3 { largest[axis] = max(largest[axis], extent[axis]) }
        }
        guard largest != (validationVolume ?? volume) else { return self }
        var widened = self
        widened.validationVolume = largest
        widened.validationBytes = ValidationMemory(plan: widened).extraBytes
        return widened
    }
}
