import Foundation
import PatchTrain

/// A new `fit` run from its options: the dataset split, the plan, and the run's settings (config.json).
enum FitStart {
    static func run(data: String, planFile: String?, budget: BudgetOptions, planning: PlanningOptions,
                    training: TrainingOptions, length: LengthOptions, stop: StopRequest,
                    communicator: any Communicator, clock: any RunClock) throws -> TrainingRun {
        let dataset = try Dataset(path: data, split: training.validation?.split)
        let split = try dataset.openSplit()
        let cases = split.training
        // The plan covers the largest volume of either split: validation infers whole volumes.
        let geometry = try DatasetGeometry(cases: cases + split.validation, dataset: dataset)
        let plan = try FitPlanChoice.choose(planFile: planFile, budget: budget, planning: planning, time: length.time,
                                            geometry: geometry, communicator: communicator)
        var configuration = RunConfiguration(
            data: data, cases: cases.map(\.id), steps: 100,
            stepsPerEpoch: RunConfiguration.stepsPerEpoch(trainingVoxels: cases.reduce(0) { $0 + $1.image.shape.spatial.volume }, plan: plan),
            learningRate: training.lr ?? TrainingDefaults.learningRate, schedule: training.schedule ?? TrainingDefaults.schedule,
            loss: training.loss ?? TrainingDefaults.loss,
            augmentation: training.noAugment ? nil : .standard, seed: training.seed ?? 0,
            effectiveBatch: plan.globalBatch, budgetBytes: plan.budgetBytes, checkpointEvery: training.checkpointEvery ?? 50)
        try configuration.setLength(steps: length.steps, epochs: length.epochs, time: length.time)
        configuration.ranks = plan.ranks
        configuration.validationCases = split.validation.map(\.id)
        configuration.validationSplit = training.validation?.text
        // A run laid over time validates at shares of its time unless --val-every is given (see TrainingRun).
        configuration.validationEvery = split.validation.isEmpty ? nil
            : (training.valEvery ?? (length.time == nil ? configuration.stepsPerEpoch : 0))
        return try TrainingRun.start(in: training.out ?? "patchtrain-run", plan: plan, cases: cases, validationCases: split.validation,
                                     configuration: configuration, indexCache: try ForegroundIndexCache(), stopRequest: stop,
                                     communicator: communicator, clock: clock)
    }
}
