/// What `fit` trains with when no option says otherwise: the settings that learned fastest on the synthetic
/// BraTS-like set on 2 CPU cores (the table that chose them is in docs/benchmarks.md, "Defaults that learn").
/// The Keras user's configuration stays one set of flags away: `--norm batch --loss dice --lr 1e-4 --schedule
/// constant --curriculum none`.
public enum TrainingDefaults {
    public static let learningRate: Float = 2e-3
    public static let schedule = LearningRateSchedule.poly
    public static let loss = SegmentationLoss.diceCrossEntropy
    public static let normalization = NormalizationKind.instance
}
