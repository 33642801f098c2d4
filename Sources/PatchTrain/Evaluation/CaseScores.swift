/// The overlap of one case's prediction with its truth, per class and per region.
public struct CaseScores: Sendable {
    public struct Region: Sendable {
        public let region: LabelRegion
        public let overlap: OverlapCounts
    }

    /// Indexed by class label `0..<classes`, background included.
    public let classes: [OverlapCounts]
    /// BraTS's regions when there are four classes (`LabelRegion.regions(forClasses:)`), else empty.
    public let regions: [Region]

    public init(_ confusion: ConfusionMatrix, classes: Int) {
        self.classes = (0..<classes).map { confusion.overlap(of: [$0]) }
        regions = LabelRegion.regions(forClasses: classes).map { Region(region: $0, overlap: confusion.overlap(of: $0.labels)) }
    }
}
