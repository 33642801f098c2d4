/// One pass over a case's voxels: are they usable, and what do they hold.
///
/// Reads one x-plane at a time (`y·z·channels` floats), so memory stays at one plane whatever the volume's size,
/// and hands the mapped pages back as `PageWindow` says and at the end.
public struct CaseScan: Sendable {
    public let id: String
    /// Voxels per class (index = class); voxels whose mask is invalid are not counted.
    public internal(set) var classVoxels: [Int]
    /// Voxels in the case (the image's spatial volume).
    public let voxels: Int
    /// Over the finite image values of every channel; nil when there are none.
    public internal(set) var imageMinimum: Float?
    public internal(set) var imageMaximum: Float?
    public internal(set) var imageMean: Double?
    /// NaN and ±Inf values in the image.
    public internal(set) var nonFiniteValues = 0
    /// Mask voxels that are not one-hot, or hold a label that is not an integer in `0..<classes`.
    public internal(set) var invalidMaskVoxels = 0
    /// The content problems, each naming its file.
    public internal(set) var problems: [InputError] = []

    /// Class voxel counts as fractions of the counted voxels, padded with zeros to `classes`.
    public func classFractions(classes: Int) -> [Double] {
        let counted = classVoxels.reduce(0, +)
        return (0..<max(classes, classVoxels.count)).map { k in
            k < classVoxels.count && counted > 0 ? Double(classVoxels[k]) / Double(counted) : 0
        }
    }

    /// Scans `trainingCase`. `classes` bounds label values (and must match one-hot channels, which `Dataset.check`
    /// ensures); nil accepts labels 0...255 and counts as many classes as the largest label needs.
    public init(_ trainingCase: TrainingCase, classes: Int?) {
        let image = trainingCase.image
        let mask = trainingCase.mask
        precondition(image.shape.spatial == mask.shape.spatial, "scan of mismatched case \(trainingCase.id)")
        id = trainingCase.id
        voxels = image.shape.voxels
        classVoxels = [Int](repeating: 0, count: mask.oneHotClasses ?? classes ?? 0)
        scanImage(image)
        image.releasePages()
        scanMask(mask, classes: classes)
        mask.releasePages()
        // A pack's chunk that failed its checksum read as zeros above: the scan's real finding is the damage.
        for volume in [image, mask] {
            do { try volume.checkUnchanged() } catch let error as InputError { problems.append(error) } catch {}
        }
    }

    private mutating func scanImage(_ image: any VolumeSource) {
        let shape = image.shape
        let planeValues = shape.y * shape.z * shape.channels
        let plane = UnsafeMutablePointer<Float>.allocate(capacity: planeValues)
        defer { plane.deallocate() }
        var low = Float.infinity, high = -Float.infinity
        var sum = 0.0
        var finite = 0
        var firstBad: (Int, Int, Int)?
        let pages = PageWindow(xPlanesOf: [image])
        for x in 0..<shape.x {
            image.read(Box3(origin: Extent3(x, 0, 0), size: Extent3(1, shape.y, shape.z)), into: plane)
            // Per-plane partial sums keep the Double accumulation cheap and accurate.
            var planeSum: Float = 0
            var planeBad = 0
            for i in 0..<planeValues {
                let v = plane[i]
                if v.isFinite {
                    low = min(low, v)
                    high = max(high, v)
                    planeSum += v
                } else {
                    planeBad += 1
                    if firstBad == nil {
                        let voxel = i / shape.channels
                        firstBad = (x, voxel / shape.z, voxel % shape.z)
                    }
                }
            }
            sum += Double(planeSum)
            finite += planeValues - planeBad
            nonFiniteValues += planeBad
            if pages.releasesAfter(plane: x) { image.releasePages() }
        }
        if finite > 0 {
            imageMinimum = low
            imageMaximum = high
            imageMean = sum / Double(finite)
        }
        if let (x, y, z) = firstBad {
            problems.append(InputError(image.path, "\(nonFiniteValues) non-finite value\(nonFiniteValues == 1 ? "" : "s") (NaN or Inf), first at voxel (\(x), \(y), \(z))"))
        }
    }

    private mutating func scanMask(_ mask: any VolumeSource, classes: Int?) {
        let shape = mask.shape
        let c = shape.channels
        let plane = UnsafeMutablePointer<Float>.allocate(capacity: shape.y * shape.z * c)
        defer { plane.deallocate() }
        var firstBad: (voxel: (Int, Int, Int), why: String)?
        let pages = PageWindow(xPlanesOf: [mask])
        // Training stores labels as UInt8, so 256 classes is the ceiling whatever the caller says.
        let labelLimit = min(classes ?? 256, 256)
        for x in 0..<shape.x {
            mask.read(Box3(origin: Extent3(x, 0, 0), size: Extent3(1, shape.y, shape.z)), into: plane)
            for voxel in 0..<(shape.y * shape.z) {
                let values = plane + voxel * c
                var why: String?
                if c > 1 {
                    // One-hot: every channel 0 or 1, exactly one 1.
                    var hot = -1
                    var ones = 0
                    for k in 0..<c {
                        let v = values[k]
                        if v == 1 {
                            ones += 1
                            hot = k
                        } else if v != 0 {
                            why = "channel \(k) holds \(v)"
                            break
                        }
                    }
                    if why == nil {
                        if ones == 1 { classVoxels[hot] += 1 } else { why = "the channels sum to \(ones)" }
                    }
                } else {
                    let v = values[0]
                    if v.isFinite, v == v.rounded(), v >= 0, v < Float(labelLimit) {
                        let label = Int(v)
                        if label >= classVoxels.count { classVoxels += [Int](repeating: 0, count: label + 1 - classVoxels.count) }
                        classVoxels[label] += 1
                    } else {
                        why = "label \(v) is not an integer in 0..<\(labelLimit)"
                    }
                }
                if let why {
                    invalidMaskVoxels += 1
                    if firstBad == nil { firstBad = ((x, voxel / shape.z, voxel % shape.z), why) }
                }
            }
            if pages.releasesAfter(plane: x) { mask.releasePages() }
        }
        if let (voxel, why) = firstBad {
            let count = "\(invalidMaskVoxels) voxel\(invalidMaskVoxels == 1 ? "" : "s")"
            let kind = c > 1 ? "mask is not one-hot" : "mask has invalid labels"
            problems.append(InputError(mask.path, "\(kind): \(count), first at voxel (\(voxel.0), \(voxel.1), \(voxel.2)) where \(why)"))
        }
    }
}
