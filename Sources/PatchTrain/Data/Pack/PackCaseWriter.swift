/// Cuts one case into chunks and compresses them: every image chunk (float16 or float32), then every label
/// chunk (uint8 class indices). Values are checked on the way, so a pack never holds what training would
/// refuse: non-finite image values, float32 values beyond float16's range when storing float16, labels that
/// are not classes.
struct PackCaseWriter {
    let trainingCase: TrainingCase
    let edge: Int
    let imageType: ElementType
    let classes: Int
    let level: Int32

    func write(to sink: inout PackChunkSink) throws {
        let image = trainingCase.image, mask = trainingCase.mask
        try image.checkUnchanged()
        try mask.checkUnchanged()
        let grid = PackChunkGrid(extent: image.shape.spatial, edge: edge)
        let c = image.shape.channels
        let values = UnsafeMutablePointer<Float>.allocate(capacity: edge * edge * edge * c)
        defer { values.deallocate() }
        let labels = UnsafeMutablePointer<UInt8>.allocate(capacity: edge * edge * edge)
        defer { labels.deallocate() }
        for chunk in 0..<grid.chunkCount {
            let box = grid.box(chunk)
            image.read(box, into: values)
            try sink.append(try compressImage(values, box: box, channels: c))
            if (chunk + 1) % grid.layerCount == 0 { image.releasePages() }
        }
        for chunk in 0..<grid.chunkCount {
            let box = grid.box(chunk)
            mask.readLabels(box, into: labels)
            for i in 0..<box.size.volume where Int(labels[i]) >= classes {
                throw InputError(mask.path, "label \(labels[i]) at voxel \(voxel(i, of: box)) is not one of the \(classes) classes (case \(trainingCase.id))")
            }
            try sink.append(try ZstdCodec.compress(UnsafeRawBufferPointer(start: labels, count: box.size.volume), level: level))
            if (chunk + 1) % grid.layerCount == 0 { mask.releasePages() }
        }
        image.releasePages()
        mask.releasePages()
        try image.checkUnchanged()
        try mask.checkUnchanged()
    }

    private func compressImage(_ values: UnsafeMutablePointer<Float>, box: Box3, channels c: Int) throws -> [UInt8] {
        let count = box.size.volume * c
        for i in 0..<count where !values[i].isFinite || (imageType == .float16 && abs(values[i]) > Float(Float16.greatestFiniteMagnitude)) {
            let why = values[i].isFinite ? "is beyond float16's ±65504 (pack with --keep-float32)" : "is not finite"
            throw InputError(trainingCase.image.path, "value \(values[i]) at voxel \(voxel(i / c, of: box)) \(why) (case \(trainingCase.id))")
        }
        if imageType == .float32 {
            return try ZstdCodec.compress(UnsafeRawBufferPointer(start: values, count: count * 4), level: level)
        }
        // The same narrowing the sampler applies to a float32 source, so a pack trains exactly like its source.
        let halves = UnsafeMutablePointer<Float16>.allocate(capacity: count)
        defer { halves.deallocate() }
        Precision.narrow(values, into: halves, count: count)
        return try ZstdCodec.compress(UnsafeRawBufferPointer(start: halves, count: count * 2), level: level)
    }

    private func voxel(_ i: Int, of box: Box3) -> String {
        let (sy, sz) = (box.size.y, box.size.z)
        return "(\(box.origin.x + i / (sy * sz)), \(box.origin.y + (i / sz) % sy), \(box.origin.z + i % sz))"
    }
}
