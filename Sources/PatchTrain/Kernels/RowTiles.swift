/// The tiles of z-rows a convolution pass walks, cut the same way in every sample whatever the batch.
///
/// A GEMM's rounding for one row of its result can depend on how many rows the GEMM has (OpenBLAS's Haswell/Zen
/// kernels treat the last few rows of a block apart), so a voxel computed in a tile of another size, or at another
/// place in it, may round differently. Tiles that never span two samples and split each sample's `rowsPerSample`
/// rows at the same places make a sample's output the same in a micro-batch of one as in a micro-batch of two,
/// which gradient accumulation relies on (`AccumulationEquivalenceTests`). Each sample has a multiple of `workers`
/// tiles of near-equal size (sizes differ by at most one row), so a batch of one still splits evenly between the
/// workers.
struct RowTiles: Sendable, Hashable {
    let batch: Int
    let rowsPerSample: Int
    let tilesPerSample: Int

    /// Tiles of at most `maximumRows` rows (at least one row each).
    init(batch: Int, rowsPerSample: Int, maximumRows: Int, workers: Int) {
        precondition(batch > 0 && rowsPerSample > 0 && maximumRows > 0 && workers > 0, "empty tiling")
        self.batch = batch
        self.rowsPerSample = rowsPerSample
        let needed = (rowsPerSample + maximumRows - 1) / maximumRows
        let balanced = (needed + workers - 1) / workers * workers
        tilesPerSample = min(rowsPerSample, balanced)
    }

    var count: Int { batch * tilesPerSample }

    /// Rows of the largest tile, which sizes the workspace.
    var largestTile: Int { (rowsPerSample + tilesPerSample - 1) / tilesPerSample }

    /// The first row (over the whole batch) and the row count of tile `index`.
    func rows(of index: Int) -> (first: Int, count: Int) {
        let sample = index / tilesPerSample, tile = index % tilesPerSample
        let start = tile * rowsPerSample / tilesPerSample, end = (tile + 1) * rowsPerSample / tilesPerSample
        return (sample * rowsPerSample + start, end - start)
    }
}
