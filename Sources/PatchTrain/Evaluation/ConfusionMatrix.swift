/// Voxel counts of a prediction against the truth: `self[truth: t, predicted: p]` voxels have true label `t` and
/// predicted label `p`. Every overlap measure (per class, per region) is a sum over this matrix, so one pass over
/// the volumes serves them all.
public struct ConfusionMatrix: Sendable, Equatable {
    /// Labels `0..<size` on both axes.
    public private(set) var size: Int
    /// Row-major, truth by prediction.
    public private(set) var counts: [Int]

    public init(size: Int) {
        precondition(size >= 1 && size <= 256, "labels are bytes: 1...256 rows, not \(size)")
        self.size = size
        counts = [Int](repeating: 0, count: size * size)
    }

    public subscript(truth t: Int, predicted p: Int) -> Int {
        t < size && p < size ? counts[t * size + p] : 0
    }

    /// All voxels counted.
    public var voxels: Int { counts.reduce(0, +) }

    /// Voxels whose true label is `label`, and those predicted as `label`.
    public func truthVoxels(_ label: Int) -> Int { label < size ? (0..<size).reduce(0) { $0 + counts[label * size + $1] } : 0 }
    public func predictedVoxels(_ label: Int) -> Int { label < size ? (0..<size).reduce(0) { $0 + counts[$1 * size + label] } : 0 }

    /// The largest label present in the truth / the prediction (nil for an empty matrix).
    public var largestTruthLabel: Int? { (0..<size).last { truthVoxels($0) > 0 } }
    public var largestPredictedLabel: Int? { (0..<size).last { predictedVoxels($0) > 0 } }

    /// Adds `count` voxel pairs. Only for a full 256-label matrix, so that no byte can fall outside it.
    mutating func add(truth: UnsafePointer<UInt8>, predicted: UnsafePointer<UInt8>, count: Int) {
        precondition(size == 256, "raw accumulation needs all 256 labels")
        counts.withUnsafeMutableBufferPointer { cells in
            for i in 0..<count { cells[Int(truth[i]) << 8 | Int(predicted[i])] &+= 1 }
        }
    }

    /// The matrix cut down to labels `0..<newSize`; every label cut off must have no voxels.
    func shrunk(to newSize: Int) -> ConfusionMatrix {
        precondition(newSize >= 1 && newSize <= size, "cannot shrink \(size) to \(newSize)")
        var out = ConfusionMatrix(size: newSize)
        for t in 0..<size {
            for p in 0..<size where counts[t * size + p] != 0 {
                precondition(t < newSize && p < newSize, "label \(max(t, p)) has voxels")
                out.counts[t * newSize + p] = counts[t * size + p]
            }
        }
        return out
    }

    /// True positives, false positives and false negatives of a structure made of one or more labels
    /// (a class is one label; a BraTS region several).
    public func overlap(of labels: [Int]) -> OverlapCounts {
        var inside = [Bool](repeating: false, count: size)
        for label in labels where label < size { inside[label] = true }
        var result = OverlapCounts(truePositives: 0, falsePositives: 0, falseNegatives: 0)
        for t in 0..<size {
            for p in 0..<size {
                let n = counts[t * size + p]
                switch (inside[t], inside[p]) {
                case (true, true): result.truePositives += n
                case (false, true): result.falsePositives += n
                case (true, false): result.falseNegatives += n
                case (false, false): break
                }
            }
        }
        return result
    }
}

/// How a predicted structure overlaps the true one, in voxels.
public struct OverlapCounts: Sendable, Equatable, Codable {
    public var truePositives: Int
    public var falsePositives: Int
    public var falseNegatives: Int

    public init(truePositives: Int, falsePositives: Int, falseNegatives: Int) {
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.falseNegatives = falseNegatives
    }

    /// Absent from both the truth and the prediction.
    public var isEmptyInBoth: Bool { truePositives == 0 && falsePositives == 0 && falseNegatives == 0 }

    /// Dice = 2TP / (2TP + FP + FN). When the structure is absent from both volumes the fraction is 0/0; it is
    /// scored 1.0, as the BraTS challenge does: nothing was there and nothing was predicted, which is right.
    /// (A structure present in one volume only scores 0.)
    public var dice: Double {
        isEmptyInBoth ? 1 : Double(2 * truePositives) / Double(2 * truePositives + falsePositives + falseNegatives)
    }
}
