import Foundation

/// One optimizer step as the run's metrics record it.
public struct StepRecord: Codable, Sendable, Equatable {
    public var step: Int
    /// The epoch the step belongs to, from 1.
    public var epoch: Int
    public var loss: Double
    /// The rate Adam used for this step.
    public var learningRate: Float
    public var seconds: Double
    public var voxelsPerSecond: Double
    public var residentBytes: Int
    public var peakResidentBytes: Int
    /// When validation ran after this step: Dice per class (mean over the validation cases), and its mean over the
    /// foreground classes — the figure `best/` is chosen by.
    public var validationDice: [Double]?
    public var validationForegroundDice: Double?
    /// When validation ran after this step: how long it took, in seconds.
    public var validationSeconds: Double?
    /// Wall-clock seconds the run had used when this record was written (under `fit --time`, since the run began,
    /// across resumes; otherwise since this process started).
    public var elapsedSeconds: Double?
    /// The curriculum stage the step trained in (index into the plan's stages); nil without a curriculum.
    public var stage: Int?

    public init(step: Int, epoch: Int, loss: Double, learningRate: Float, seconds: Double, voxelsPerSecond: Double,
                residentBytes: Int, peakResidentBytes: Int) {
        self.step = step
        self.epoch = epoch
        self.loss = loss
        self.learningRate = learningRate
        self.seconds = seconds
        self.voxelsPerSecond = voxelsPerSecond
        self.residentBytes = residentBytes
        self.peakResidentBytes = peakResidentBytes
    }

    /// The CSV columns: the JSON keys, in this order.
    /// Validation columns are empty on steps without validation; the per-class Dice are `;`-separated.
    public static let csvHeader = "step,epoch,loss,learningRate,seconds,voxelsPerSecond,residentBytes,peakResidentBytes,validationForegroundDice,validationDice,validationSeconds,elapsedSeconds,stage"

    public var csvLine: String {
        let dice = validationDice.map { $0.map { String($0) }.joined(separator: ";") } ?? ""
        return "\(step),\(epoch),\(loss),\(learningRate),\(seconds),\(voxelsPerSecond),\(residentBytes),\(peakResidentBytes),"
            + "\(validationForegroundDice.map { String($0) } ?? ""),\(dice),\(validationSeconds.map { String($0) } ?? ""),"
            + "\(elapsedSeconds.map { String($0) } ?? ""),\(stage.map { String($0) } ?? "")"
    }
}

/// `metrics.jsonl` and `metrics.csv` side by side: the same records, one line per step, appended as steps end.
public final class RunMetrics {
    public let json: MetricsLog
    public let csv: MetricsLog

    public init(jsonPath: String, csvPath: String) throws {
        json = try MetricsLog(path: jsonPath)
        csv = try MetricsLog(path: csvPath)
        if csv.isEmpty { try csv.appendLine(StepRecord.csvHeader) }
    }

    public func append(_ record: StepRecord) throws {
        try json.append(record)
        try csv.appendLine(record.csvLine)
    }

    /// Drops the records of steps after `step` (those a crash ran past the last checkpoint; the resumed run does
    /// them again) and any torn last line, from both files.
    public static func truncate(jsonPath: String, csvPath: String, throughStep step: Int) throws {
        try MetricsLog.truncate(jsonPath) { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let recorded = object["step"] as? Int else { return false }
            return recorded <= step
        }
        try MetricsLog.truncate(csvPath) { line in
            if line == StepRecord.csvHeader { return true }
            guard let first = line.split(separator: ",", maxSplits: 1).first, let recorded = Int(first) else { return false }
            return recorded <= step
        }
    }
}
