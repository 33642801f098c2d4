/// A structure scored as one: a set of labels (a BraTS region is a union of classes).
public struct LabelRegion: Sendable, Hashable {
    /// Short name for tables and JSON: `WT`, `TC`, `ET`.
    public let name: String
    /// What it is, in words.
    public let title: String
    /// The labels whose union the region is.
    public let labels: [Int]

    public init(name: String, title: String, labels: [Int]) {
        self.name = name
        self.title = title
        self.labels = labels
    }

    /// BraTS's evaluation regions in patchtrain's four-class labelling (`SyntheticClass`, docs/formats.md):
    /// 0 background, 1 necrotic / non-enhancing core, 2 edema, 3 enhancing tumour (BraTS's label 4 renumbered,
    /// which is also the one-hot channel order). The regions nest: ET ⊂ TC ⊂ WT.
    public static let brats: [LabelRegion] = [
        LabelRegion(name: "WT", title: "whole tumour", labels: [1, 2, 3]),
        LabelRegion(name: "TC", title: "tumour core", labels: [1, 3]),
        LabelRegion(name: "ET", title: "enhancing tumour", labels: [3]),
    ]

    /// BraTS's regions in BraTS's own labels {0, 1, 2, 4}, as its label files and `infer` on a BraTS folder store them.
    public static let bratsStored: [LabelRegion] = [
        LabelRegion(name: "WT", title: "whole tumour", labels: [1, 2, 4]),
        LabelRegion(name: "TC", title: "tumour core", labels: [1, 4]),
        LabelRegion(name: "ET", title: "enhancing tumour", labels: [4]),
    ]

    /// The regions scored for a number of classes: BraTS's with four classes, none otherwise (there is no
    /// agreed grouping of other labellings).
    public static func regions(forClasses classes: Int) -> [LabelRegion] { classes == 4 ? brats : [] }

    /// The regions scored for a set of labels: BraTS's for 0…3 and for BraTS's stored {0, 1, 2, 4}, else none.
    public static func regions(forLabels labels: [Int]) -> [LabelRegion] {
        switch labels {
        case [0, 1, 2, 3]: return brats
        case [0, 1, 2, 4]: return bratsStored
        default: return []
        }
    }
}
