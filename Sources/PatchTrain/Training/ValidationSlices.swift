import Foundation

/// One validation case as the latest validation saw it, for the run's report: the truth's and the prediction's
/// three orthogonal slices through the largest structure of the truth (`SliceCenter`), and the case's Dice.
/// `fit` writes one per case to `RUN/validation/CASE.json`.
public struct ValidationSlices: Codable, Sendable, Equatable {
    public var caseID: String
    /// The case's image file (absolute), which the report reads the grey slices from.
    public var image: String
    /// The step after which the validation ran.
    public var step: Int
    public var extent: Extent3
    public var center: Extent3
    /// Dice per class of this case.
    public var dice: [Double]
    /// Planes x, y, z in `OrthogonalSlices`' layout, one byte (the class) a voxel.
    public var truth: [Data]
    public var prediction: [Data]

    public init(caseID: String, image: String, step: Int, dice: [Double], truth: OrthogonalSlices<UInt8>,
                prediction: OrthogonalSlices<UInt8>) {
        self.caseID = caseID
        self.image = URL(fileURLWithPath: image).standardizedFileURL.path
        self.step = step
        extent = truth.extent
        center = truth.center
        self.dice = dice
        self.truth = truth.planes.map { Data($0) }
        self.prediction = prediction.planes.map { Data($0) }
    }

    public var truthSlices: OrthogonalSlices<UInt8> { OrthogonalSlices(extent: extent, center: center, planes: truth.map { Array($0) }) }
    public var predictionSlices: OrthogonalSlices<UInt8> {
        OrthogonalSlices(extent: extent, center: center, planes: prediction.map { Array($0) })
    }
}
