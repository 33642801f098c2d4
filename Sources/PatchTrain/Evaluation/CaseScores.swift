/// The overlap of one case's prediction with its truth, per class and per region.
public struct CaseScores: Sendable {
    public struct Region: Sendable {
        public let region: LabelRegion
        public let overlap: OverlapCounts
    }

    /// The label of each entry of `classes`: `0..<classes`, or the dataset's declared label values.
    public let labels: [Int]
    /// One per label of `labels`, background included.
    public let classes: [OverlapCounts]
    /// BraTS's regions when the labels are BraTS's (`LabelRegion.regions(forLabels:)`), else empty.
    public let regions: [Region]

    /// `labels`: the label values to score (a dataset's declared ones, BraTS's [0, 1, 2, 4]); nil: `0..<classes`.
    public init(_ confusion: ConfusionMatrix, classes: Int, labels: [Int]? = nil) {
        self.labels = labels ?? Array(0..<classes)
        self.classes = self.labels.map { confusion.overlap(of: [$0]) }
        regions = LabelRegion.regions(forLabels: self.labels).map { Region(region: $0, overlap: confusion.overlap(of: $0.labels)) }
    }
}
