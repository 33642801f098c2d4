import PatchTrain

/// What the planner needs to know about a dataset: the volume extent (smallest per axis over the cases, so a
/// patch fits every volume), the image channels and the classes.
struct DatasetGeometry {
    let volume: Extent3
    let channels: Int
    let classes: Int?
    /// What reading the dataset's pack holds (chunk caches, table); nil for volume files.
    var packReadingBytes: Int?

    init(cases: [TrainingCase], dataset: Dataset) throws {
        guard let first = cases.first else { throw InputError(dataset.path, "no cases") }
        var extent = first.image.shape.spatial
        for c in cases {
            for a in 0..<3 { extent[a] = min(extent[a], c.image.shape.spatial[a]) }
        }
        volume = extent
        channels = first.image.shape.channels
        classes = dataset.classes ?? first.mask.oneHotClasses
        packReadingBytes = dataset.pack?.readingBytes
    }

    init(shape: VolumeShape) {
        volume = shape.spatial
        channels = shape.channels
        classes = nil
    }

    /// The geometry of the dataset at `data`, else of a volume `shape` (default one BraTS-sized channel).
    init(data: String?, shape: VolumeShape?, classes: Int?) throws {
        if let data {
            let dataset = try Dataset(path: data, classes: classes)
            try self.init(cases: try dataset.openCases(), dataset: dataset)
        } else {
            self.init(shape: shape ?? VolumeShape(x: 240, y: 240, z: 160))
        }
    }
}
