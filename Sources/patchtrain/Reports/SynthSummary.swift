import Foundation
import PatchTrain

/// What `synth` wrote and how fast.
struct SynthSummary: CommandSummary {
    let dataset: SyntheticDataset
    let files: [SyntheticDataset.CaseFiles]
    let seconds: Double

    var casesPerSecond: Double { Double(dataset.caseCount) / max(seconds, 1e-9) }

    private enum CodingKeys: String, CodingKey { case folder, cases, shape, seed, masks, files, seconds, casesPerSecond }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let e = dataset.shape
        try c.encode(dataset.folder, forKey: .folder)
        try c.encode(dataset.caseCount, forKey: .cases)
        try c.encode([e.x, e.y, e.z], forKey: .shape)
        try c.encode(dataset.seed, forKey: .seed)
        try c.encode(dataset.maskLayout.rawValue, forKey: .masks)
        try c.encode(files, forKey: .files)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(casesPerSecond, forKey: .casesPerSecond)
    }

    var text: String {
        let (cases, first, last) = (dataset.caseCount, dataset.caseName(0), dataset.caseName(dataset.caseCount - 1))
        let labels = dataset.maskLayout == .labels
        return "wrote \(cases) case\(cases == 1 ? "" : "s") of \(dataset.shape) (seed \(dataset.seed)) to \(dataset.folder) "
            + "in \(String(format: "%.2f", seconds)) s (\(ProgressText.formatRate(casesPerSecond)) cases/s)\n"
            + "  images: \(dataset.imageFolder)/\(first).npy ... \(last).npy  float32 (x,y,z,1)\n"
            + "  \(labels ? "labels" : "masks"): \(dataset.maskFolder)/\(first).npy ... \(last).npy  "
            + "\(labels ? "uint8 label maps" : "one-hot float32 masks")\n"
    }
}
