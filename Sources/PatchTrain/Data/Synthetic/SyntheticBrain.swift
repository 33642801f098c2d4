import Dispatch

/// One synthetic BraTS-like case: a skull-stripped brain with a nested, irregular lesion.
///
/// The image is one Float channel, `(x, y, z)` in C order; the labels are `SyntheticClass` raw values, same layout.
/// Everything random comes from `SeededGenerator(seed:stream: caseIndex)` (geometry, intensities, noise lattices)
/// plus a counter-based hash for per-voxel noise, so `(seed, caseIndex, shape)` gives the same bytes on every run
/// and for any split of the volume into slabs. See docs/formats.md, "Synthetic data", for the model.
struct SyntheticBrain: Sendable {
    let shape: Extent3
    let seed: UInt64
    let caseIndex: Int
    let model: SyntheticBrainModel

    private let textureCoarse: SmoothNoise
    private let textureFine: SmoothNoise
    private let bias: SmoothNoise
    private let brainSurface: SmoothNoise
    private let edemaCoarse: SmoothNoise
    private let edemaFine: SmoothNoise
    private let coreSurface: SmoothNoise
    private let voxelNoise: VoxelNoise

    /// Per-z squared normalised offsets from the brain, ventricle and lesion centres; with the per-row x and y
    /// terms they give each voxel's ellipsoidal radius without a division in the inner loop.
    private let brainZ2: [Float]
    /// Both ventricles' terms side by side (the model always has a left and a right one).
    private let ventricleZ2: [SIMD2<Float>]
    private let lesionZ2: [Float]

    init(shape: Extent3, seed: UInt64, caseIndex: Int) {
        precondition(shape.x > 0 && shape.y > 0 && shape.z > 0, "empty shape \(shape)")
        self.shape = shape
        self.seed = seed
        self.caseIndex = caseIndex
        var g = SeededGenerator(seed: seed, stream: UInt64(truncatingIfNeeded: caseIndex))
        let model = SyntheticBrainModel(shape: shape, generator: &g)
        self.model = model

        let brainRadius = model.brain.semiAxes.min()
        let lesionRadius = model.lesion.semiAxes.min()
        textureCoarse = SmoothNoise(extent: shape, cell: max(0.22 * brainRadius, 3), generator: &g)
        textureFine = SmoothNoise(extent: shape, cell: max(0.07 * brainRadius, 2), generator: &g)
        bias = SmoothNoise(extent: shape, cell: 1.2 * model.brain.semiAxes.max(), generator: &g)
        brainSurface = SmoothNoise(extent: shape, cell: max(0.25 * brainRadius, 3), generator: &g)
        edemaCoarse = SmoothNoise(extent: shape, cell: max(0.7 * lesionRadius, 4), generator: &g)
        edemaFine = SmoothNoise(extent: shape, cell: max(0.3 * lesionRadius, 3), generator: &g)
        coreSurface = SmoothNoise(extent: shape, cell: max(0.6 * model.coreFraction * lesionRadius, 4), generator: &g)
        voxelNoise = VoxelNoise(key: g.next())

        func squaredOffsets(_ e: SyntheticBrainModel.Ellipsoid) -> [Float] {
            (0..<shape.z).map { z in
                let q = (Double(z) - e.center.z) / e.semiAxes.z
                return Float(q * q)
            }
        }
        brainZ2 = squaredOffsets(model.brain)
        let left = squaredOffsets(model.ventricles[0]), right = squaredOffsets(model.ventricles[1])
        ventricleZ2 = (0..<shape.z).map { SIMD2(left[$0], right[$0]) }
        lesionZ2 = squaredOffsets(model.lesion)
    }

    /// The whole case, rendered on all cores.
    func generate() -> (image: [Float], labels: [UInt8]) {
        let count = shape.volume
        var labels = [UInt8](repeating: 0, count: count)
        let image = [Float](unsafeUninitializedCapacity: count) { imageBuffer, initialized in
            labels.withUnsafeMutableBufferPointer { labelBuffer in
                renderConcurrently(planes: 0..<shape.x, image: imageBuffer.baseAddress!, labels: labelBuffer.baseAddress!)
            }
            initialized = count
        }
        return (image, labels)
    }

    /// Renders x-planes `planes` on all cores into buffers of `planes.count · y · z` elements each.
    /// Each plane is a pure function of its coordinates, so the split cannot change the result.
    func renderConcurrently(planes: Range<Int>, image: UnsafeMutablePointer<Float>, labels: UnsafeMutablePointer<UInt8>) {
        let planeSize = shape.y * shape.z
        // Addresses travel as integers: the closure runs on several threads, and each touches only its own plane.
        let imageAddress = Int(bitPattern: image), labelAddress = Int(bitPattern: labels)
        DispatchQueue.concurrentPerform(iterations: planes.count) { p in
            let image = UnsafeMutablePointer<Float>(bitPattern: imageAddress)! + p * planeSize
            let labels = UnsafeMutablePointer<UInt8>(bitPattern: labelAddress)! + p * planeSize
            render(planes: (planes.lowerBound + p)..<(planes.lowerBound + p + 1), image: image, labels: labels)
        }
    }

    /// Renders x-planes `planes` on the calling thread into buffers of `planes.count · y · z` elements each.
    func render(planes: Range<Int>, image: UnsafeMutablePointer<Float>, labels: UnsafeMutablePointer<UInt8>) {
        precondition(planes.lowerBound >= 0 && planes.upperBound <= shape.x, "planes \(planes) outside \(shape)")
        let rowLength = shape.z
        // One scratch row per noise field.
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 7 * rowLength)
        defer { scratch.deallocate() }
        let rows = RowScratch(base: scratch, length: rowLength)
        for x in planes {
            for y in 0..<shape.y {
                let offset = ((x - planes.lowerBound) * shape.y + y) * rowLength
                renderRow(x: x, y: y, image: image + offset, labels: labels + offset, rows: rows)
            }
        }
    }

    private struct RowScratch {
        let texCoarse, texFine, bias, surface, edemaCoarse, edemaFine, core: UnsafeMutablePointer<Float>
        init(base: UnsafeMutablePointer<Float>, length: Int) {
            texCoarse = base
            texFine = base + length
            bias = base + 2 * length
            surface = base + 3 * length
            edemaCoarse = base + 4 * length
            edemaFine = base + 5 * length
            core = base + 6 * length
        }
    }

    /// The z-range around `center` where a normalised squared radius `rowR2 + ((z − c)/a)²` stays below `limit²`.
    private func zSpan(rowR2: Double, limit: Double, center: Double, semiAxis: Double) -> Range<Int> {
        let room = limit * limit - rowR2
        guard room > 0 else { return 0..<0 }
        let half = room.squareRoot() * semiAxis
        let lo = max(Int((center - half).rounded(.up)), 0)
        let hi = min(Int((center + half).rounded(.down)) + 1, shape.z)
        return lo < hi ? lo..<hi : 0..<0
    }

    private func renderRow(x: Int, y: Int, image: UnsafeMutablePointer<Float>, labels: UnsafeMutablePointer<UInt8>, rows: RowScratch) {
        let m = model
        let brain = m.brain
        let bx = (Double(x) - brain.center.x) / brain.semiAxes.x
        let by = (Double(y) - brain.center.y) / brain.semiAxes.y
        let brainRowR2 = bx * bx + by * by
        let surfaceAmplitude = Float(SyntheticBrainModel.brainSurfaceAmplitude)
        let outer = 1 + Double(surfaceAmplitude)
        let brainSpan = zSpan(rowR2: brainRowR2, limit: outer, center: brain.center.z, semiAxis: brain.semiAxes.z)

        // Air: exactly zero, as in skull-stripped scans.
        image.update(repeating: 0, count: shape.z)
        labels.update(repeating: 0, count: shape.z)
        guard !brainSpan.isEmpty else { return }

        textureCoarse.fillRow(x: x, y: y, zRange: brainSpan, into: rows.texCoarse)
        textureFine.fillRow(x: x, y: y, zRange: brainSpan, into: rows.texFine)
        bias.fillRow(x: x, y: y, zRange: brainSpan, into: rows.bias)
        brainSurface.fillRow(x: x, y: y, zRange: brainSpan, into: rows.surface)

        let lesion = m.lesion
        let lx = (Double(x) - lesion.center.x) / lesion.semiAxes.x
        let ly = (Double(y) - lesion.center.y) / lesion.semiAxes.y
        let lesionRowR2 = lx * lx + ly * ly
        let reach = m.lesionReach
        var lesionSpan = zSpan(rowR2: lesionRowR2, limit: reach, center: lesion.center.z, semiAxis: lesion.semiAxes.z)
        lesionSpan = lesionSpan.clamped(to: brainSpan)
        if !lesionSpan.isEmpty {
            edemaCoarse.fillRow(x: x, y: y, zRange: lesionSpan, into: rows.edemaCoarse)
            edemaFine.fillRow(x: x, y: y, zRange: lesionSpan, into: rows.edemaFine)
            coreSurface.fillRow(x: x, y: y, zRange: lesionSpan, into: rows.core)
        }

        func rowR2(_ v: SyntheticBrainModel.Ellipsoid) -> Float {
            let dx = (Double(x) - v.center.x) / v.semiAxes.x
            let dy = (Double(y) - v.center.y) / v.semiAxes.y
            return Float(dx * dx + dy * dy)
        }
        let geometry = RowGeometry(brainSpan: brainSpan, lesionSpan: lesionSpan, brainRowR2: brainRowR2, lesionRowR2: lesionRowR2,
                                   ventricleRow: SIMD2(rowR2(m.ventricles[0]), rowR2(m.ventricles[1])), outer: outer,
                                   reach: reach, rowStart: (x * shape.y + y) * shape.z)
        shadeRow(geometry, image: image, labels: labels, rows: rows)
    }

    /// What the voxels of one (x, y) row share: the z-ranges the brain and the lesion cover, the row's terms of
    /// each ellipsoid's squared radius, and where the row starts in the volume (for the voxel noise).
    private struct RowGeometry {
        let brainSpan: Range<Int>, lesionSpan: Range<Int>
        let brainRowR2: Double, lesionRowR2: Double
        let ventricleRow: SIMD2<Float>
        let outer: Double, reach: Double
        let rowStart: Int
    }

    /// The brain's voxels of a row: tissue, CSF, lesion classes, bias field and noise.
    private func shadeRow(_ geometry: RowGeometry, image: UnsafeMutablePointer<Float>, labels: UnsafeMutablePointer<UInt8>,
                          rows: RowScratch) {
        let m = model
        let brainSpan = geometry.brainSpan, lesionSpan = geometry.lesionSpan
        let surfaceAmplitude = Float(SyntheticBrainModel.brainSurfaceAmplitude)
        let ventricleRow = geometry.ventricleRow
        let nearVentricle = ventricleRow.min() < 1
        let levels = m.intensities
        let csf = Float(levels.csf), grey = Float(levels.grey), white = Float(levels.white)
        let edemaLevel = Float(levels.edema), coreLevel = Float(levels.core), enhancingLevel = Float(levels.enhancing)
        let sigma = Float(m.noiseSigma), biasAmplitude = Float(m.biasAmplitude)
        let csfBand = Float(SyntheticBrainModel.csfBandDepth)
        let outer2 = Float(geometry.outer * geometry.outer)
        let brainRow = Float(geometry.brainRowR2), lesionRow = Float(geometry.lesionRowR2)
        let reach2 = Float(geometry.reach * geometry.reach)
        let coreFraction = Float(m.coreFraction), coreAmplitude = Float(SyntheticBrainModel.coreAmplitude)
        let edemaAmplitude = Float(SyntheticBrainModel.edemaAmplitude)
        let necroticLimit = 1 - Float(m.rimFraction), edemaMargin = Float(m.edemaMargin)
        let rowStart = geometry.rowStart

        brainZ2.withUnsafeBufferPointer { brainZ2 in
        lesionZ2.withUnsafeBufferPointer { lesionZ2 in
        ventricleZ2.withUnsafeBufferPointer { ventricleZ2 in
            for z in brainSpan {
                let r2 = brainRow + brainZ2[z]
                if r2 >= outer2 { continue }
                let rb = r2.squareRoot()
                let surface = 1 + surfaceAmplitude * rows.surface[z]
                if rb >= surface { continue }
                let depth = surface - rb

                // Normal tissue: grey/white matter mixed by the coarse texture, detail from the fine one.
                let mix = clamp01(0.5 + 1.2 * rows.texCoarse[z])
                var v = grey + (white - grey) * mix + 0.04 * rows.texFine[z]
                // Sulcal CSF: darker towards the surface.
                if depth < csfBand { v = csf + (v - csf) * smooth01(depth / csfBand) }
                if nearVentricle {
                    let q2 = (ventricleRow + ventricleZ2[z]).min()
                    if q2 < 1 { v = csf + (v - csf) * smooth01((q2.squareRoot() - 0.6) / 0.4) }
                }

                var label = SyntheticClass.background
                if lesionSpan.contains(z) {
                    let t2 = lesionRow + lesionZ2[z]
                    if t2 < reach2 {
                        let rt = t2.squareRoot()
                        let coreRadius = coreFraction * (1 + coreAmplitude * rows.core[z])
                        let edemaNoise = (rows.edemaCoarse[z] + 0.6 * rows.edemaFine[z]) * (1 / 1.6)
                        // The edema always extends a margin past the core, so the core never meets normal tissue.
                        let edemaRadius = max(1 + edemaAmplitude * edemaNoise, coreRadius + edemaMargin)
                        if rt < coreRadius {
                            if rt < necroticLimit * coreRadius {
                                label = .core
                                v = coreLevel + 0.05 * rows.texFine[z]
                            } else {
                                label = .enhancing
                                v = enhancingLevel + 0.06 * rows.texFine[z]
                            }
                        } else if rt < edemaRadius {
                            label = .edema
                            // Edema fades into normal tissue near its edge: the boundary is real but not obvious.
                            let strength = 0.3 + 0.7 * smooth01((edemaRadius - rt) / 0.2)
                            v += (edemaLevel + 0.05 * rows.texFine[z] - v) * strength
                        }
                    }
                }

                v *= 1 + biasAmplitude * rows.bias[z]
                v += sigma * voxelNoise.gaussian(rowStart + z)
                image[z] = max(v, 0)
                labels[z] = label.rawValue
            }
        }
        }
        }
    }
}

@inline(__always) private func clamp01(_ t: Float) -> Float { min(max(t, 0), 1) }

@inline(__always) private func smooth01(_ t: Float) -> Float {
    let c = clamp01(t)
    return c * c * (3 - 2 * c)
}
