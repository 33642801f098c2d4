import ArgumentParser
import Foundation
import PatchTrain

/// `patchtrain fit`: trains under a memory plan and ends by setting the measured peak RSS beside the prediction.
struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the U-Net on a dataset under a RAM budget planned ahead of time.",
        discussion: "Writes RUN_DIR/plan.json, config.json, metrics.jsonl and last/weights.safetensors (PyTorch state_dict names).")

    @Option(name: .long, help: "Dataset folder or manifest.")
    var data: String

    @Option(name: .long, help: "Budget for the whole process's peak RSS (8G, 512M). Default: the memory available.")
    var ram: String?

    @Option(name: .long, help: "A plan written by `patchtrain plan --out` (instead of --ram).")
    var plan: String?

    @Option(name: .long, help: "Optimizer steps.")
    var steps: Int = 100

    @Option(name: .long, help: "Effective batch (micro-batch × accumulation steps) when planning here.")
    var batch: Int = 2

    @Option(name: .long, help: "Adam learning rate.")
    var lr: Float = 1e-4

    @Option(name: .long, help: "Normalisation when planning here: batch or instance.")
    var norm: String = "batch"

    @Flag(name: .long, help: "Plan with per-block recomputation (less memory, about +17% compute).")
    var recompute = false

    @Option(name: .long, help: "Run folder.")
    var out: String = "patchtrain-run"

    @Option(name: .long, help: "Random seed: weights, patches.")
    var seed: UInt64 = 0

    @Option(name: .customLong("checkpoint-every"), help: "Also save last/ every N steps (0: only at the end).")
    var checkpointEvery: Int = 0

    @Flag(name: .long, help: "Print the summary as JSON on stdout.")
    var json = false

    func validate() throws {
        if ram != nil && plan != nil { throw ValidationError("give --ram or --plan, not both") }
        if let ram, ByteCount.parse(ram) == nil { throw ValidationError("--ram '\(ram)' is not a size (examples: 8G, 512M)") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number") }
        guard NormalizationKind(rawValue: norm) != nil else { throw ValidationError("--norm must be batch or instance") }
        guard checkpointEvery >= 0 else { throw ValidationError("--checkpoint-every must be 0 or more") }
    }

    func run() throws {
        let dataset = try Dataset(path: data)
        let cases = try dataset.openSplit().training
        let geometry = try DatasetGeometry(cases: cases, dataset: dataset)
        let chosen = try choosePlan(geometry)

        let files = FileManager.default
        do {
            try files.createDirectory(atPath: "\(out)/last", withIntermediateDirectories: true)
        } catch {
            throw RuntimeFailure("\(out): cannot create the run folder (\(error.localizedDescription))")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(chosen)), to: "\(out)/plan.json")
        let config = RunConfiguration(data: data, steps: steps, learningRate: lr, seed: seed, effectiveBatch: chosen.effectiveBatch,
                                      budgetBytes: chosen.budgetBytes, cases: cases.map(\.id))
        try AtomicFile.write(Array(try encoder.encode(config)), to: "\(out)/config.json")
        let metrics = try MetricsLog(path: "\(out)/metrics.jsonl")

        let trainer = try Trainer(plan: chosen, cases: cases, seed: seed, learningRate: lr, indexCache: try ForegroundIndexCache())
        defer { trainer.stop() }
        let progress = ProgressBar(label: "fit", total: steps, unit: "steps")
        let voxelsPerStep = Double(chosen.patch.volume * chosen.effectiveBatch)
        let started = Date()
        var loss = 0.0
        for step in 1...steps {
            let stepStart = Date()
            loss = try trainer.step()
            let seconds = Date().timeIntervalSince(stepStart)
            let peak = ProcessMemory.peakResidentBytes
            try metrics.append(StepRecord(step: step, loss: loss, seconds: seconds, voxelsPerSecond: voxelsPerStep / seconds,
                                          residentBytes: ProcessMemory.residentBytes, peakResidentBytes: peak))
            progress.update(completed: step, detail: String(format: "loss %.4f  %.2f Mvox/s  peak %@ of %@", loss,
                                                            voxelsPerStep / seconds / 1e6, ByteCount.format(peak),
                                                            ByteCount.format(chosen.budgetBytes)))
            // The budget is a promise: if it is ever broken, stop with a clear error rather than be OOM-killed.
            if peak > chosen.budgetBytes {
                progress.finish()
                try WeightsFile.write(trainer.parameters, to: "\(out)/last/weights.safetensors")
                throw RuntimeFailure("peak RSS \(ByteCount.format(peak)) went over the budget \(ByteCount.format(chosen.budgetBytes)) at step \(step) (predicted \(ByteCount.format(chosen.predictedPeakBytes))); weights saved in \(out)/last")
            }
            if checkpointEvery > 0 && step % checkpointEvery == 0 && step < steps {
                try WeightsFile.write(trainer.parameters, to: "\(out)/last/weights.safetensors")
            }
        }
        progress.finish()
        try WeightsFile.write(trainer.parameters, to: "\(out)/last/weights.safetensors")
        let summary = FitSummary(steps: steps, seconds: Date().timeIntervalSince(started), finalLoss: loss,
                                 predictedPeakBytes: chosen.predictedPeakBytes, measuredPeakBytes: ProcessMemory.peakResidentBytes,
                                 budgetBytes: chosen.budgetBytes, weights: "\(out)/last/weights.safetensors")
        if json {
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(summary.text, terminator: "")
        }
    }

    private func choosePlan(_ geometry: DatasetGeometry) throws -> MemoryPlan {
        if let plan {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: plan)) } catch { throw InputError(plan, "cannot read") }
            guard let decoded = try? JSONDecoder().decode(MemoryPlan.self, from: data) else {
                throw InputError(plan, "not a plan written by `patchtrain plan --out`")
            }
            guard decoded.configuration.inputChannels == geometry.channels else {
                throw InputError(plan, "planned for \(decoded.configuration.inputChannels) image channel(s), the data has \(geometry.channels)")
            }
            if let classes = geometry.classes, classes != decoded.configuration.classes {
                throw InputError(plan, "planned for \(decoded.configuration.classes) classes, the data has \(classes)")
            }
            return decoded
        }
        let budget = try TrainingBudget(ram: ram)
        let configuration = UNetConfiguration(inputChannels: geometry.channels, classes: geometry.classes ?? 4,
                                              normalization: NormalizationKind(rawValue: norm)!)
        let planner = try MemoryPlanner.measured(configuration: configuration, volume: geometry.volume, effectiveBatch: batch)
        switch planner.choose(budget: budget.bytes, recomputation: recompute) {
        case .fits(let plan):
            return plan
        case .tooSmall(let smallest):
            throw budget.tooSmall(smallest, planner: planner, patch: nil, recompute: recompute)
        }
    }
}

/// `config.json` of a run.
struct RunConfiguration: Encodable {
    let data: String
    let steps: Int
    let learningRate: Float
    let seed: UInt64
    let effectiveBatch: Int
    let budgetBytes: Int
    let cases: [String]
}

/// One line of `metrics.jsonl`.
struct StepRecord: Encodable {
    let step: Int
    let loss: Double
    let seconds: Double
    let voxelsPerSecond: Double
    let residentBytes: Int
    let peakResidentBytes: Int
}

struct FitSummary: Encodable {
    let steps: Int
    let seconds: Double
    let finalLoss: Double
    let predictedPeakBytes: Int
    let measuredPeakBytes: Int
    let budgetBytes: Int
    let weights: String

    var text: String {
        let error = Double(predictedPeakBytes - measuredPeakBytes) / Double(measuredPeakBytes) * 100
        return String(format: "trained %d steps in %.1f s, final loss %.4f\n", steps, seconds, finalLoss)
            + "peak RSS measured \(ByteCount.format(measuredPeakBytes)), predicted \(ByteCount.format(predictedPeakBytes)) "
            + String(format: "(%+.1f%% of measured), budget %@\n", error, ByteCount.format(budgetBytes))
            + "weights: \(weights)\n"
    }
}
