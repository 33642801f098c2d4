/// Draws training patches from a list of cases, reproducibly from a seed.
///
/// Each draw picks a case uniformly, then with probability `foregroundFraction` centres the patch on a voxel of
/// a foreground class present in that case (class chosen uniformly among those present, voxel uniformly among
/// the class's indexed locations), else places it uniformly so that it lies inside the volume (or, for a patch
/// larger than the volume, so that the volume lies inside it). This is nnU-Net's oversampling scheme; with
/// small tumours it is what makes the network see them at all. Voxels of a patch outside the volume are 0.
///
/// Reproducible: the draws depend only on the seed and the masks (the random numbers consumed per draw do not
/// depend on timing or on whether an index came from the cache), and `state` can be saved and restored for an
/// exact resume.
///
/// Cases are checked when they are read, not when the sampler is made, so a bad case surfaces as the error of
/// the patch that reaches it, named by its file and case id: a file cut short since it was opened, NaN or Inf in
/// the image, a label outside `0..<classes` — damage the dataset's header checks cannot see.
///
/// With an `augmentation`, `next(into:)` changes each patch after reading it (`Augmentation`), driven by its own
/// generator, so turning augmentation off or on never changes which patches are drawn.
///
/// `@unchecked Sendable`: a sampler is not safe to use from two threads at once. It is sent to exactly one
/// user at a time — the prefetcher's producer thread takes it over, after which nobody else may call it.
public final class PatchSampler: @unchecked Sendable {
    public let cases: [TrainingCase]
    public let patchExtent: Extent3
    /// Image channels, taken from the first case; every case must match.
    public let channels: Int
    public let foregroundFraction: Double
    /// How many cases' foreground indexes stay in memory (least recently used ones are dropped and re-read
    /// from the cache when needed again), so memory does not grow with the dataset.
    public let residentIndexLimit: Int
    /// Applied to every patch `next(into:)` reads; nil reads patches as they are.
    public let augmentation: Augmentation?
    /// Labels must be below this (checked as patches are read); nil skips the check.
    public let classes: Int?
    /// In a data-parallel run, the draws this rank trains on (`next(into:)` steps over the others'); nil: all.
    public var share: SampleShare?

    /// nnU-Net's default share of foreground-centred patches.
    public static let defaultForegroundFraction = 1.0 / 3.0

    private var generator: SeededGenerator
    private var augmentationGenerator: SeededGenerator
    private var drawn = 0
    private var indexCache: ForegroundIndexCache?
    private var residentIndexes: [Int: ForegroundIndex] = [:]
    private var residentOrder: [Int] = []
    private let slabScratch: SlabScratch

    /// `indexCache` nil: the user's cache folder, created on the first foreground draw.
    public init(
        cases: [TrainingCase], patch: Extent3, seed: UInt64,
        foregroundFraction: Double = PatchSampler.defaultForegroundFraction,
        indexCache: ForegroundIndexCache? = nil,
        residentIndexLimit: Int = ForegroundIndex.defaultResidentLimit,
        augmentation: Augmentation? = nil,
        classes: Int? = nil
    ) {
        precondition(!cases.isEmpty, "a patch sampler needs at least one case")
        precondition(patch.x > 0 && patch.y > 0 && patch.z > 0, "empty patch \(patch)")
        precondition((0...1).contains(foregroundFraction), "foreground fraction \(foregroundFraction) outside 0...1")
        precondition(residentIndexLimit >= 1, "keep at least one foreground index")
        self.cases = cases
        self.patchExtent = patch
        self.channels = cases[0].image.shape.channels
        self.foregroundFraction = foregroundFraction
        self.indexCache = indexCache
        self.residentIndexLimit = residentIndexLimit
        self.generator = SeededGenerator(seed: seed)
        self.augmentation = augmentation
        self.classes = classes
        self.augmentationGenerator = SeededGenerator(seed: seed, stream: PatchSampler.augmentationStream)
        self.slabScratch = SlabScratch(patch: patch, channels: channels)
    }

    /// Where the sequence stands; restoring it makes the following draws and patches repeat exactly.
    public var state: PatchSamplerState {
        get { PatchSamplerState(generator: generator, drawn: drawn, augmentation: augmentation == nil ? nil : augmentationGenerator) }
        set {
            generator = newValue.generator
            drawn = newValue.drawn
            if let saved = newValue.augmentation { augmentationGenerator = saved }
        }
    }

    /// The augmentation generator's stream of the seed: independent of the position generator.
    static let augmentationStream: UInt64 = 0xA06_3E47

    /// A patch of this sampler's size, for `next(into:)`.
    public func makePatch() -> Patch { Patch(extent: patchExtent, channels: channels) }

    /// Draws the next patch and reads it into `patch` (which must have this sampler's extent and channels), then
    /// augments it if this sampler augments.
    public func next(into patch: Patch) throws {
        if let share { while !share.owns(draw: drawn) { try skipDraw() } }
        let draw = try nextDraw()
        try read(draw, into: patch)
        if let augmentation {
            Augmentation.apply(augmentation.draw(&augmentationGenerator), to: patch)
        }
        // The rest of the step's draws, when they are all other ranks', are stepped over now, so that the state
        // after a rank's last patch of a step is the step boundary of the whole sequence, the same on every rank.
        if let share { while !share.startsStep(draw: drawn) && !share.owns(draw: drawn) { try skipDraw() } }
    }

    /// Consumes one draw and its augmentation's random numbers without reading the patch (another rank's).
    private func skipDraw() throws {
        _ = try nextDraw()
        if let augmentation { _ = augmentation.draw(&augmentationGenerator) }
    }

    /// The next case and position, without reading the image.
    public func nextDraw() throws -> PatchDraw {
        let caseIndex = uniform(below: cases.count)
        // Always consume the coin, so the sequence does not depend on which branch earlier draws took.
        let wantsForeground = generator.nextUnit() < foregroundFraction
        drawn += 1
        let volume = cases[caseIndex].image.shape.spatial
        if wantsForeground {
            let index = try withCaseContext(cases[caseIndex]) { try foregroundIndex(caseIndex) }
            let present = index.presentClasses
            if !present.isEmpty {
                let locations = index.locations(ofClass: present[uniform(below: present.count)])
                let centre = index.voxel(locations[uniform(below: locations.count)])
                let origin = Extent3(centre.x - patchExtent.x / 2, centre.y - patchExtent.y / 2, centre.z - patchExtent.z / 2)
                return PatchDraw(caseIndex: caseIndex, origin: origin, centredOnForeground: true)
            }
        }
        var origin = Extent3.zero
        for axis in 0..<3 {
            let room = volume[axis] - patchExtent[axis]
            // room ≥ 0: the patch fits, anywhere in 0...room; room < 0: the volume fits, the patch anywhere around it.
            origin[axis] = room >= 0 ? uniform(below: room + 1) : room + uniform(below: -room + 1)
        }
        return PatchDraw(caseIndex: caseIndex, origin: origin, centredOnForeground: false)
    }

    /// Reads the patch `draw` names into `patch`: the part inside the volume from disk (image widened to Float,
    /// narrowed to fp16; labels as class indices), zeros elsewhere. Then gives the volumes' pages back.
    public func read(_ draw: PatchDraw, into patch: Patch) throws {
        precondition(patch.extent == patchExtent && patch.channels == channels, "patch \(patch.extent)x\(patch.channels) does not match the sampler's \(patchExtent)x\(channels)")
        let trainingCase = cases[draw.caseIndex]
        try withCaseContext(trainingCase) {
            try check(trainingCase)
            try trainingCase.image.checkUnchanged()
            try trainingCase.mask.checkUnchanged()
        }
        patch.caseIndex = draw.caseIndex
        patch.caseID = trainingCase.id
        patch.origin = draw.origin
        patch.centredOnForeground = draw.centredOnForeground

        let box = Box3(origin: draw.origin, size: patchExtent)
        guard let inside = box.clipped(to: trainingCase.image.shape.spatial) else {
            patch.image.update(repeating: 0)
            patch.labels.update(repeating: 0)
            return
        }
        if inside != box {
            patch.image.update(repeating: 0)
            patch.labels.update(repeating: 0)
        }
        try withCaseContext(trainingCase) {
            try copy(inside, of: trainingCase, into: patch)
            // A pack's chunk that failed its checksum read as zeros: refuse the patch, naming the chunk.
            try trainingCase.image.checkUnchanged()
            try trainingCase.mask.checkUnchanged()
        }
        trainingCase.image.releasePages()
        trainingCase.mask.releasePages()
    }

    /// Copies the in-volume box one x-slab at a time, so the Float scratch is one `(1, y, z, c)` slab.
    private func copy(_ inside: Box3, of trainingCase: TrainingCase, into patch: Patch) throws {
        let (py, pz, c) = (patchExtent.y, patchExtent.z, channels)
        let offset = Extent3(inside.origin.x - patch.origin.x, inside.origin.y - patch.origin.y, inside.origin.z - patch.origin.z)
        let (sy, sz) = (inside.size.y, inside.size.z)
        let values = slabScratch.values
        let labels = slabScratch.labels
        let image = patch.image.baseAddress!
        let labelOut = patch.labels.baseAddress!
        let pages = PageWindow(xPlanesOf: [trainingCase.image, trainingCase.mask])
        for ix in 0..<inside.size.x {
            let slab = Box3(origin: Extent3(inside.origin.x + ix, inside.origin.y, inside.origin.z), size: Extent3(1, sy, sz))
            trainingCase.image.read(slab, into: values)
            trainingCase.mask.readLabels(slab, into: labels)
            try checkContent(values, labels, slab: slab, of: trainingCase)
            let px = offset.x + ix
            for iy in 0..<sy {
                let voxel = (px * py + offset.y + iy) * pz + offset.z
                Precision.narrow(values + iy * sz * c, into: image + voxel * c, count: sz * c)
                (labelOut + voxel).update(from: labels + iy * sz, count: sz)
            }
            if pages.releasesAfter(plane: ix) {
                trainingCase.image.releasePages()
                trainingCase.mask.releasePages()
            }
        }
    }

    /// One x-slab's values must be finite and its labels classes; the first voxel that is not is named.
    private func checkContent(_ values: UnsafePointer<Float>, _ labels: UnsafePointer<UInt8>, slab: Box3,
                              of trainingCase: TrainingCase) throws {
        let (sy, sz, c) = (slab.size.y, slab.size.z, channels)
        func voxel(_ i: Int) -> String { "(\(slab.origin.x), \(slab.origin.y + i / sz), \(slab.origin.z + i % sz))" }
        for i in 0..<(sy * sz * c) where !values[i].isFinite {
            throw InputError(trainingCase.image.path, "\(values[i]) at voxel \(voxel(i / c)): images must be finite")
        }
        guard let classes, classes < 256 else { return }
        for i in 0..<(sy * sz) where Int(labels[i]) >= classes {
            throw InputError(trainingCase.mask.path, "label \(labels[i]) at voxel \(voxel(i)) is not one of the \(classes) classes")
        }
    }

    private func check(_ trainingCase: TrainingCase) throws {
        let image = trainingCase.image.shape
        let mask = trainingCase.mask.shape
        guard image.channels == channels else {
            throw InputError(trainingCase.image.path, "image has \(image.channels) channels, the first case's has \(channels)")
        }
        guard mask.spatial == image.spatial else {
            throw InputError(trainingCase.mask.path, "mask is \(mask.spatial) but its image is \(image.spatial)")
        }
    }

    /// The case's index, from memory, the cache, or a scan; evicts the least recently used beyond the limit.
    private func foregroundIndex(_ caseIndex: Int) throws -> ForegroundIndex {
        if let index = residentIndexes[caseIndex] {
            if residentOrder.last != caseIndex {
                residentOrder.removeAll { $0 == caseIndex }
                residentOrder.append(caseIndex)
            }
            return index
        }
        let cache: ForegroundIndexCache
        if let existing = indexCache {
            cache = existing
        } else {
            // No writable cache folder only costs a scan per case per run; sampling still works.
            cache = (try? ForegroundIndexCache()) ?? ForegroundIndexCache(inMemoryOnlyWithMaximumPerClass: ForegroundIndex.defaultMaximumPerClass)
            indexCache = cache
        }
        let index = try cache.index(for: cases[caseIndex].mask)
        if residentOrder.count == residentIndexLimit {
            residentIndexes[residentOrder.removeFirst()] = nil
        }
        residentIndexes[caseIndex] = index
        residentOrder.append(caseIndex)
        return index
    }

    /// Uniform in `0..<n` from one 64-bit draw (multiply-high); written out rather than `Int.random(in:using:)`
    /// so the sequence cannot change with the standard library's implementation.
    private func uniform(below n: Int) -> Int {
        Int(UInt64(n).multipliedFullWidth(by: generator.next()).high)
    }

    /// Names the case in any error, keeping the error's kind (bad input vs runtime failure).
    private func withCaseContext<T>(_ trainingCase: TrainingCase, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as InputError {
            throw InputError(error.file, "\(error.problem) (case \(trainingCase.id))")
        } catch let error as RuntimeFailure {
            throw RuntimeFailure("case \(trainingCase.id): \(error.message)")
        } catch {
            throw RuntimeFailure("case \(trainingCase.id): \(error)")
        }
    }
}

/// One `(1, y, z)` slab of Float image values and of labels: the only buffers reading a patch needs
/// (`DataPipelineMemory.samplerScratchBytes` counts them).
private final class SlabScratch {
    let values: UnsafeMutablePointer<Float>
    let labels: UnsafeMutablePointer<UInt8>

    init(patch: Extent3, channels: Int) {
        let voxels = patch.y * patch.z
        values = .allocate(capacity: voxels * channels)
        values.initialize(repeating: 0, count: voxels * channels)
        labels = .allocate(capacity: voxels)
        labels.initialize(repeating: 0, count: voxels)
    }

    deinit {
        values.deallocate()
        labels.deallocate()
    }
}
