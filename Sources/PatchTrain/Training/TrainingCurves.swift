import Foundation

/// What a run's pictures plot, gathered from its step records one at a time in bounded memory: loss (raw and
/// smoothed), learning rate and time against steps, and every validation's Dice. However long the run, the
/// per-step curves keep at most `2 × maxPoints` points: when full, neighbouring points are averaged in pairs and
/// later records are averaged in bins of the new width, so every point covers the same number of steps.
public struct TrainingCurves: Sendable {
    /// One point per bin of steps: the means of the bin's steps.
    public private(set) var steps: [Double] = []
    /// Wall time at the end of the bin's last step, in seconds from the run's start: step and validation time
    /// (checkpoint saves and start-up are not in the records).
    public private(set) var wallSeconds: [Double] = []
    public private(set) var loss: [Double] = []
    /// An exponential moving average of the loss (weight `smoothing` on the past, bias-corrected at the start).
    public private(set) var smoothedLoss: [Double] = []
    public private(set) var learningRate: [Double] = []

    public struct Validation: Sendable, Equatable {
        public var step: Int
        public var wallSeconds: Double
        /// Per class, mean over the validation cases.
        public var dice: [Double]
        public var foregroundDice: Double
    }
    public private(set) var validations: [Validation] = []
    /// The largest peak RSS any record saw.
    public private(set) var peakResidentBytes = 0
    public private(set) var recordCount = 0
    public private(set) var lastStep = 0

    public let maxPoints: Int
    public static let smoothing = 0.8
    private var binWidth = 1
    private var pending = (count: 0, step: 0.0, loss: 0.0, smoothed: 0.0, rate: 0.0)
    private var average = 0.0
    private var elapsed = 0.0

    public init(maxPoints: Int = 1024) {
        precondition(maxPoints >= 1, "at least one point")
        self.maxPoints = maxPoints
    }

    public mutating func add(_ record: StepRecord) {
        recordCount += 1
        lastStep = record.step
        elapsed += record.seconds + (record.validationSeconds ?? 0)
        peakResidentBytes = max(peakResidentBytes, record.peakResidentBytes)
        average = Self.smoothing * average + (1 - Self.smoothing) * record.loss
        let smoothed = average / (1 - pow(Self.smoothing, Double(recordCount)))
        pending.count += 1
        pending.step += Double(record.step)
        pending.loss += record.loss
        pending.smoothed += smoothed
        pending.rate += Double(record.learningRate)
        if let dice = record.validationDice {
            validations.append(Validation(step: record.step, wallSeconds: elapsed, dice: dice,
                                          foregroundDice: record.validationForegroundDice ?? dice.last ?? 0))
        }
        if pending.count == binWidth { flush() }
    }

    /// The curves with the last, partly filled bin included.
    public var finished: TrainingCurves {
        var copy = self
        if copy.pending.count > 0 { copy.flush() }
        return copy
    }

    private mutating func flush() {
        let n = Double(pending.count)
        steps.append(pending.step / n)
        wallSeconds.append(elapsed)
        loss.append(pending.loss / n)
        smoothedLoss.append(pending.smoothed / n)
        learningRate.append(pending.rate / n)
        pending = (0, 0, 0, 0, 0)
        if steps.count == 2 * maxPoints {
            for i in 0..<maxPoints {
                steps[i] = (steps[2 * i] + steps[2 * i + 1]) / 2
                wallSeconds[i] = wallSeconds[2 * i + 1]
                loss[i] = (loss[2 * i] + loss[2 * i + 1]) / 2
                smoothedLoss[i] = (smoothedLoss[2 * i] + smoothedLoss[2 * i + 1]) / 2
                learningRate[i] = (learningRate[2 * i] + learningRate[2 * i + 1]) / 2
            }
            for curve in [\TrainingCurves.steps, \.wallSeconds, \.loss, \.smoothedLoss, \.learningRate] {
                self[keyPath: curve].removeLast(maxPoints)
            }
            binWidth *= 2
        }
    }

    /// The curves of the run whose metrics are in `path` (`metrics.jsonl`; none yet: empty curves), with the
    /// last bin still open, so that more records can be added.
    public static func read(metrics path: String, maxPoints: Int = 1024) throws -> TrainingCurves {
        var curves = TrainingCurves(maxPoints: maxPoints)
        guard FileManager.default.fileExists(atPath: path) else { return curves }
        try RunMetrics.forEachRecord(inJSONL: path) { curves.add($0) }
        return curves
    }
}
