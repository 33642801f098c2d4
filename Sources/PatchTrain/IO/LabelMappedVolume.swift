/// A label map whose stored values are renumbered to contiguous classes as it is read: value `labelValues[k]`
/// reads as class `k` (BraTS's {0, 1, 2, 4} as 0…3). A value the table does not hold reads as NaN, which every
/// consumer refuses as "not a label" (`CaseScan` reports it, the sampler rejects it), so an unexpected label is
/// never trained on silently.
public final class LabelMappedVolume: VolumeSource, @unchecked Sendable {
    public let source: any VolumeSource
    /// The stored value of each class, ascending.
    public let labelValues: [Int]
    public var path: String { source.path }
    public var shape: VolumeShape { source.shape }
    public var elementType: ElementType { source.elementType }
    public var isXFastestOnDisk: Bool { source.isXFastestOnDisk }
    /// What each value 0...255 read from `source` reads as; -1 where nothing (it then reads as NaN).
    private let classOfValue: [Int]

    /// `source` must be a label map (one channel); `labelValues` distinct values in 0...255.
    public convenience init(_ source: any VolumeSource, labelValues: [Int]) {
        var table = [Int](repeating: -1, count: 256)
        for (k, value) in labelValues.enumerated() { table[value] = k }
        self.init(source, labelValues: labelValues, table: table)
    }

    /// The other way round: `source` holds classes (a pack's labels), read as the stored values
    /// `labelValues[k]`, so they can be scored against predictions written in those values.
    public convenience init(classesOf source: any VolumeSource, readAs labelValues: [Int]) {
        var table = [Int](repeating: -1, count: 256)
        for (k, value) in labelValues.enumerated() { table[k] = value }
        self.init(source, labelValues: labelValues, table: table)
    }

    private init(_ source: any VolumeSource, labelValues: [Int], table: [Int]) {
        precondition(source.shape.channels == 1, "only label maps are renumbered")
        precondition(labelValues.allSatisfy { (0...255).contains($0) } && Set(labelValues).count == labelValues.count,
                     "label values must be distinct and in 0...255")
        self.source = source
        self.labelValues = labelValues
        classOfValue = table
    }

    public func read(_ box: Box3, into destination: UnsafeMutablePointer<Float>) {
        source.read(box, into: destination)
        for i in 0..<box.size.volume {
            let v = destination[i]
            if v.isFinite, v >= 0, v <= 255, v == v.rounded() {
                let k = classOfValue[Int(v)]
                destination[i] = k >= 0 ? Float(k) : .nan
            } else {
                destination[i] = .nan
            }
        }
    }

    public func releasePages() { source.releasePages() }
    public func checkUnchanged() throws { try source.checkUnchanged() }
}
