/// The four classes of patchtrain's BraTS-like segmentation, as stored in label maps and one-hot channels.
enum SyntheticClass: UInt8, CaseIterable, Sendable {
    /// Everything that is not tumour: the air around the head and the normal brain.
    case background = 0
    /// Necrotic / non-enhancing tumour core: the dark centre of the lesion.
    case core = 1
    /// Peritumoural edema: the bright, irregular halo around the core.
    case edema = 2
    /// Enhancing tumour: the brightest shell between the necrotic core and the edema.
    case enhancing = 3
}

/// The random choices behind one synthetic case: geometry of brain, ventricles and lesion, and the mean intensity
/// of each tissue. Drawn from `SeededGenerator(seed:stream: caseIndex)`, so a case is a function of
/// (seed, case index, shape) alone. Distances are in voxels; `center` and `semiAxes` are `(x, y, z)`.
struct SyntheticBrainModel: Sendable, Equatable {
    struct Ellipsoid: Sendable, Equatable {
        var center: SIMD3<Double>
        var semiAxes: SIMD3<Double>
    }

    /// Mean intensities before the bias field and noise (the background is exactly 0, as in skull-stripped BraTS).
    struct Intensities: Sendable, Equatable {
        var csf: Double
        var grey: Double
        var white: Double
        var edema: Double
        var core: Double
        var enhancing: Double
    }

    var shape: Extent3
    var brain: Ellipsoid
    /// The lateral ventricles, left (−x) then right (+x).
    var ventricles: [Ellipsoid]
    /// The lesion's mean outer (edema) extent; its boundary is this ellipsoid's unit surface, pushed in and out
    /// by low-frequency noise.
    var lesion: Ellipsoid
    /// Tumour-core radius as a fraction of the edema radius.
    var coreFraction: Double
    /// Thickness of the enhancing shell as a fraction of the core radius.
    var rimFraction: Double
    /// Least edema left around the core, in lesion-normalised units, so that the core never touches normal tissue.
    var edemaMargin: Double
    var intensities: Intensities
    /// Standard deviation of the additive Gaussian noise.
    var noiseSigma: Double
    /// The multiplicative bias field spans `1 ± biasAmplitude`.
    var biasAmplitude: Double

    // Shape constants of the model (relative units), fixed so every case is recognisably the same kind of image.
    /// How far noise pushes the brain surface in and out, relative to the brain's radius.
    static let brainSurfaceAmplitude = 0.05
    /// Depth of the dark CSF band under the brain surface, relative to the brain's radius.
    static let csfBandDepth = 0.06
    /// How far noise pushes the edema boundary, relative to the lesion radius.
    static let edemaAmplitude = 0.35
    /// How far noise pushes the core boundary, relative to the core radius.
    static let coreAmplitude = 0.15
    /// Smallest lesion radius in voxels, so that small volumes still hold all four classes.
    static let minimumLesionRadius = 8.0

    /// The farthest the edema can reach, in lesion-normalised units.
    var lesionReach: Double {
        max(1 + Self.edemaAmplitude, coreFraction * (1 + Self.coreAmplitude) + edemaMargin)
    }

    init(shape: Extent3, generator g: inout SeededGenerator) {
        func uniform(_ range: ClosedRange<Double>) -> Double {
            range.lowerBound + (range.upperBound - range.lowerBound) * g.nextUnit()
        }
        self.shape = shape
        let extent = SIMD3<Double>(Double(shape.x), Double(shape.y), Double(shape.z))

        // Brain: a slightly elongated (front-back = y) ellipsoid near the centre of the volume.
        let brainAxes = extent * SIMD3(uniform(0.36...0.41), uniform(0.40...0.45), uniform(0.36...0.41))
        let brainCenter = (extent - 1) / 2 + extent * SIMD3(uniform(-0.03...0.03), uniform(-0.03...0.03), uniform(-0.03...0.03))
        brain = Ellipsoid(center: brainCenter, semiAxes: brainAxes)

        // Two lateral ventricles: thin, long, either side of the midline (x), dark like CSF.
        let ventricleAxes = brainAxes * SIMD3(uniform(0.06...0.09), uniform(0.25...0.33), uniform(0.10...0.14))
        let spread = brainAxes.x * uniform(0.11...0.15)
        let lift = brainAxes.z * uniform(0.0...0.1)
        ventricles = [-1.0, 1.0].map { side in
            Ellipsoid(center: brainCenter + SIMD3(side * spread, 0, lift), semiAxes: ventricleAxes)
        }

        // Lesion size and shape.
        let smallestBrainAxis = brainAxes.min()
        let radius = max(uniform(0.35...0.60) * smallestBrainAxis, Self.minimumLesionRadius)
        var lesionAxes = radius * SIMD3(uniform(0.85...1.15), uniform(0.85...1.15), uniform(0.85...1.15))
        coreFraction = uniform(0.55...0.75)

        // Keep the whole lesion inside the brain's deep part, clear of the surface noise and the CSF band:
        // shrink it if a small volume leaves no room, then place its centre uniformly in what room is left.
        let deepest = 1 - Self.brainSurfaceAmplitude - Self.csfBandDepth - 0.02
        let edemaReachInBrain = (1 + Self.edemaAmplitude) * (lesionAxes / brainAxes).max()
        if edemaReachInBrain > 0.8 * deepest {
            lesionAxes *= 0.8 * deepest / edemaReachInBrain
        }

        // At least 1.5 voxels of enhancing shell and 2.5 of edema, so the nesting survives voxelisation.
        let coreRadius = coreFraction * lesionAxes.min()
        let rimVoxels = min(max(0.2 * coreRadius, 1.5), 7)
        rimFraction = min(rimVoxels / (coreFraction * (1 - Self.coreAmplitude) * lesionAxes.min()), 0.6)
        edemaMargin = max(2.5, 0.12 * radius) / lesionAxes.min()

        let reach = max(1 + Self.edemaAmplitude, coreFraction * (1 + Self.coreAmplitude) + edemaMargin)
        let room = max(deepest - reach * (lesionAxes / brainAxes).max(), 0)
        var offset = SIMD3<Double>(repeating: 1)
        while (offset * offset).sum() > 1 {
            offset = SIMD3(uniform(-1...1), uniform(-1...1), uniform(-1...1))
        }
        lesion = Ellipsoid(center: brainCenter + brainAxes * offset * room, semiAxes: lesionAxes)

        // Tissue means: distinct per class but close enough that bias field and noise make them overlap.
        let grey = uniform(0.47...0.53)
        intensities = Intensities(
            csf: uniform(0.17...0.23),
            grey: grey,
            white: grey + uniform(0.11...0.17),
            edema: uniform(0.75...0.85),
            core: uniform(0.29...0.39),
            enhancing: uniform(0.96...1.08)
        )
        noiseSigma = uniform(0.030...0.045)
        biasAmplitude = uniform(0.10...0.18)
    }
}
