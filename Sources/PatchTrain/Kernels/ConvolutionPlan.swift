/// The shapes of one 3×3×3 convolution layer and the tiling its kernels use, which fixes the fp32 workspace.
///
/// The kernels never build a whole-layer im2col matrix. They walk the output in tiles of whole z-rows
/// (a row is the `z` voxels at one `(sample, x, y)`), widen the tile's 3×3 in-plane neighbourhoods from fp16 into
/// an fp32 matrix (each z-row padded by one zero voxel at either end) — a 9-tap im2col instead of 27, a third of
/// the memory traffic, which is what bounds the small-channel layers. One `cblas_sgemm` multiplies it by the weights
/// of all three z taps side by side (`[9·Cin × 3·Cout]`), and the three partial results are summed with a one-voxel
/// shift. A tile holds as many rows as keep that matrix within `tileFloats` (at least one row), cut the same way in
/// every sample whatever the batch (`RowTiles`), so the workspace is a few MB whatever the patch size, and the
/// planner counts it by calling `workspaceBytes` with the layer's shapes.
///
/// With `unpackedSmallGemms` (where OpenBLAS has small-matrix kernels), layers whose one-row GEMM is within its
/// unpacked bound (`unpackedGemmMacs`, e.g. 16→16 at 128³) take tiles of one row; their forward and input-gradient
/// passes, and those of layers whose row GEMM splits into a few unpacked pieces of at least `minimumStackedGemmRows` voxels
/// (16→16 at z = 160), stack the y taps too (`forwardStacksYTaps`, `inputGradientStacksYTaps`; see
/// `Convolution3D+StackedYTaps.swift`). Elsewhere, with an even z, the passes compute the z taps with Winograd
/// F(4,3), or F(2,3) where z is not a multiple of four (`zWinogradOutputs`; see `Convolution3D+Winograd.swift`), in
/// tiles of `winogradTiles`.
public struct ConvolutionPlan: Sendable, Hashable {
    public let batch: Int
    public let extent: Extent3
    /// Channels of all input sources together (a decoder's upsampled tensor plus its skip).
    public let inputChannels: Int
    public let outputChannels: Int
    /// Tiles of the direct 9-tap forward and weight-gradient passes (im2col of the input, 9·inputChannels wide).
    let inputTiles: RowTiles
    /// Tiles of the direct 9-tap input-gradient pass (im2col of the output gradient, 9·outputChannels wide).
    let gradientTiles: RowTiles
    /// Threads that each take a contiguous share of the rows, with their own tiles (OpenBLAS runs single-threaded
    /// inside each): this parallelises the gather and transposes too, and keeps OpenBLAS's idle threads from
    /// spinning against them (measured +15–35% over one tile at a time with two OpenBLAS threads).
    public let workers: Int
    /// Whether the forward pass stacks the y taps as well as the z taps into the GEMM's output columns (see
    /// `Convolution3D.forwardStackingYTaps`): for layers whose row GEMM runs unpacked, where it gathers a third as much
    /// and OpenBLAS's small kernels run a 144-wide output faster than a 48-wide one.
    public let forwardStacksYTaps: Bool
    /// The same for the input-gradient pass (a convolution of the output gradient with mirrored weights).
    public let inputGradientStacksYTaps: Bool
    /// Padded voxels per GEMM in the y-stacked passes: a whole padded z-row, or the even pieces of it that keep each
    /// GEMM within `unpackedGemmMacs` (16→16 at z = 160 would miss the bound by 12% with the whole row).
    public let stackedGemmRows: Int
    /// Whether OpenBLAS multiplies GEMMs within `unpackedGemmMacs` without packing them (`BLASCoreType
    /// .runsSmallGemmsUnpacked`, its SkylakeX family). Only then do one-row tiles and the y-stacked passes pay: with
    /// the packed path (Haswell/Zen kernels) they ran 10–30% slower than large 9-tap tiles on an AMD EPYC (Zen 3;
    /// 32→32 at 64³, 32→16 at 240×240×160), and only large tiles take Winograd. Either tiling computes a
    /// voxel the same way whatever the batch (`RowTiles`).
    public let unpackedSmallGemms: Bool
    /// Outputs per group, m, with which the weight gradient, and the forward and input-gradient passes that do not
    /// stack the y taps, compute the z taps with Winograd F(m,3) (`Convolution3D+Winograd.swift`): 4 where z is a
    /// multiple of four (half the multiply-adds of the direct passes), 2 where z is only even (two thirds), 0 (the
    /// direct passes) for an odd z.
    public let zWinogradOutputs: Int
    public var zWinograd: Bool { zWinogradOutputs > 0 }
    /// The transforms of `zWinogradOutputs`, when there are any.
    var zWinogradTransforms: ZWinogradTransforms? { zWinograd ? ZWinogradTransforms(outputs: zWinogradOutputs) : nil }
    /// Whether the Winograd products with sixteen columns run in Swift vector code (`Matrix+SixteenColumns.swift`)
    /// rather than OpenBLAS: where OpenBLAS has no small-matrix kernels (`!unpackedSmallGemms`), the CPU kind they
    /// were measured faster on; its SkylakeX kernels keep the GEMMs until measured there.
    public var sixteenColumnProducts: Bool { !unpackedSmallGemms }
    /// Floats of im2col per tile and worker the tiles are cut to.
    public let tileFloats: Int

    /// 512 Ki floats (2 MiB) of im2col per tile and worker: large enough that sgemm runs near its peak (thousands
    /// of voxels per GEMM for every layer of the default U-Net), small enough to stay near the cache.
    public static let defaultTileFloats = 1 << 19

    /// OpenBLAS (0.3.x, AVX-512 kernels) multiplies a GEMM of at most 100³ multiply-adds with its small-matrix
    /// kernels, which read the operands in place instead of packing them; measured ~35% faster for a 16-channel
    /// layer's row than the packed path over a 28-row tile.
    public static let unpackedGemmMacs = 1_000_000
    /// The fewest padded voxels per unpacked GEMM for which the y-stacked passes are used. Measured on the Xeon
    /// (docs/benchmarks.md): pieces of 28 (32→32 at z = 80), 41 (16→32) and 54 (32→16 at z = 160) voxels each ran
    /// the forward and input-gradient passes 10–70% faster stacked than in packed 9-tap tiles.
    public static let minimumStackedGemmRows = 24

    public static let taps = 27
    /// Taps gathered per voxel; the third (z) dimension comes from shifting the GEMM's operand.
    public static let planeTaps = 9

    public init(batch: Int, extent: Extent3, inputChannels: Int, outputChannels: Int,
                tileFloats: Int = ConvolutionPlan.defaultTileFloats, workers: Int = 2,
                unpackedSmallGemms: Bool = BLASCoreType.runsSmallGemmsUnpacked, maximumWinogradOutputs: Int = 4) {
        precondition(batch > 0 && extent.volume > 0 && inputChannels > 0 && outputChannels > 0, "empty convolution")
        self.batch = batch
        self.extent = extent
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.unpackedSmallGemms = unpackedSmallGemms
        let rows = batch * extent.x * extent.y, threads = max(1, min(workers, rows))
        self.workers = threads
        // Where one padded z-row's GEMM is within OpenBLAS's small-matrix bound, tiles are cut to that bound:
        // such GEMMs run unpacked straight from the im2col (no copy of it), and the tile stays in L2 between the
        // gather and the multiply. Larger layers keep large tiles, where packing pays for itself.
        let padded = extent.z + 2
        let rowMacs = padded * Self.taps * inputChannels * outputChannels
        let unpackedRows = unpackedSmallGemms && rowMacs <= Self.unpackedGemmMacs ? Self.unpackedGemmMacs / rowMacs : rows
        func tiles(width: Int) -> RowTiles {
            RowTiles(batch: batch, rowsPerSample: extent.x * extent.y,
                     maximumRows: min(unpackedRows, max(1, tileFloats / (padded * width))), workers: threads)
        }
        inputTiles = tiles(width: Self.planeTaps * inputChannels)
        let pieces = (rowMacs + Self.unpackedGemmMacs - 1) / Self.unpackedGemmMacs
        stackedGemmRows = (padded + pieces - 1) / pieces
        let stacks = unpackedSmallGemms && stackedGemmRows >= min(padded, Self.minimumStackedGemmRows)
        forwardStacksYTaps = stacks && padded * 3 * (inputChannels + 3 * outputChannels) <= tileFloats
        inputGradientStacksYTaps = stacks && padded * 3 * (outputChannels + 3 * inputChannels) <= tileFloats
        gradientTiles = tiles(width: Self.planeTaps * outputChannels)
        zWinogradOutputs = [4, 2].first { $0 <= maximumWinogradOutputs && extent.z % $0 == 0 } ?? 0
        self.tileFloats = tileFloats
    }

    /// Tiles of a Winograd pass gathering `gathered` channels: its m + 2 transformed inputs
    /// (`[rows · z/m × 9·gathered]` each, (m + 2)/m times the 9-tap im2col in all) within `tileFloats`.
    func winogradTiles(gathered: Int) -> RowTiles {
        RowTiles(batch: batch, rowsPerSample: extent.x * extent.y,
                 maximumRows: max(1, tileFloats / max(1, winogradTransformedFloatsPerRow * Self.planeTaps * gathered)),
                 workers: workers)
    }

    /// Transformed values per z-row and gathered column of a Winograd pass: m + 2 for each group of m voxels.
    var winogradTransformedFloatsPerRow: Int {
        zWinogradTransforms.map { $0.points * (extent.z / $0.outputs) } ?? 0
    }

    /// z-rows of the largest tile of the direct 9-tap forward and weight-gradient passes.
    public var inputRowsPerTile: Int { inputTiles.largestTile }

    /// Number of z-rows, `batch · x · y`.
    public var rows: Int { batch * extent.x * extent.y }
    public var weightCount: Int { Self.taps * inputChannels * outputChannels }
    /// Multiply-adds ×2 of one forward pass (the same count for each of the two backward GEMM passes).
    public var flops: Double { 2 * Double(batch * extent.volume) * Double(weightCount) }

    /// Rows of the padded im2col matrix of a tile: `rowsPerTile · (z + 2)`.
    func paddedVoxels(rowsPerTile: Int) -> Int { rowsPerTile * (extent.z + 2) }

    public var forwardWorkspaceFloats: Int {
        dataPassWorkspaceFloats(stacksYTaps: forwardStacksYTaps, rowsPerTile: inputRowsPerTile,
                                gathered: inputChannels, produced: outputChannels)
    }

    /// The forward pass's workspace with the roles swapped: the output gradient is gathered, the input's produced.
    public var inputGradientWorkspaceFloats: Int {
        dataPassWorkspaceFloats(stacksYTaps: inputGradientStacksYTaps, rowsPerTile: gradientTiles.largestTile,
                                gathered: outputChannels, produced: inputChannels)
    }

    /// Stacked weights; per worker the im2col tile of the `gathered` tensor, the GEMM's product for all three z taps
    /// and the channel-last tile of the `produced` one.
    private func dataPassWorkspaceFloats(stacksYTaps: Bool, rowsPerTile: Int, gathered: Int, produced: Int) -> Int {
        if let transforms = zWinogradTransforms, !stacksYTaps {
            // The m + 2 transformed weight matrices; per worker one row's 9-tap im2col, the tile's transformed
            // inputs and products, and the channel-last output tile.
            let r = winogradTiles(gathered: gathered).largestTile, z = extent.z, t = winogradTransformedFloatsPerRow
            let width = Self.planeTaps * gathered
            return transforms.points * width * produced
                + workers * ((z + 2) * width + r * t * width + r * t * produced + r * z * produced)
        }
        if stacksYTaps {
            // Per worker one row's 3-tap im2col, its product for all nine (y, z) taps and three accumulating rows.
            let p = extent.z + 2
            return weightCount + workers * (p * 3 * gathered + p * 9 * produced + 3 * extent.z * produced)
        }
        let n = paddedVoxels(rowsPerTile: rowsPerTile)
        return weightCount + workers * (n * Self.planeTaps * gathered + 4 * n * produced)
    }

    /// Per worker a weight-gradient accumulator, the input im2col tile, the output gradient stacked three times
    /// (shifted by one voxel per z tap) and the output-gradient rows in fp32.
    public var weightGradientWorkspaceFloats: Int {
        if let transforms = zWinogradTransforms {
            // Per worker the m + 2 transformed sums, one row's 9-tap im2col, the tile's transformed inputs and
            // gradients, and its dY rows in fp32.
            let r = winogradTiles(gathered: inputChannels).largestTile, z = extent.z, t = winogradTransformedFloatsPerRow
            let width = Self.planeTaps * inputChannels
            return workers * (transforms.points * width * outputChannels + (z + 2) * width + r * t * width
                              + r * t * outputChannels + r * z * outputChannels)
        }
        let n = paddedVoxels(rowsPerTile: inputTiles.largestTile)
        return workers * (weightCount + n * Self.planeTaps * inputChannels + 4 * n * outputChannels)
    }

    /// One workspace serves all three passes.
    public var workspaceFloats: Int {
        max(forwardWorkspaceFloats, inputGradientWorkspaceFloats, weightGradientWorkspaceFloats)
    }

    /// Bytes of fp32 workspace a 3×3×3 convolution of these shapes needs (forward and backward).
    public static func workspaceBytes(batch: Int, extent: Extent3, inputChannels: Int, outputChannels: Int,
                                      tileFloats: Int = ConvolutionPlan.defaultTileFloats, workers: Int = 2,
                                      unpackedSmallGemms: Bool = BLASCoreType.runsSmallGemmsUnpacked) -> Int {
        ConvolutionPlan(batch: batch, extent: extent, inputChannels: inputChannels, outputChannels: outputChannels,
                        tileFloats: tileFloats, workers: workers, unpackedSmallGemms: unpackedSmallGemms)
            .workspaceFloats * MemoryLayout<Float>.size
    }
}
