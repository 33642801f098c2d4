import Foundation

extension RunMetrics {
    /// Calls `body` with each record of `metrics.jsonl` in file order, reading through a fixed buffer so that a
    /// long run's file is never held whole. A torn last line (a run killed mid-write) is skipped; any other line
    /// that is not a record is an error naming the file and line.
    public static func forEachRecord(inJSONL path: String, _ body: (StepRecord) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw InputError(path, "missing or unreadable") }
        defer { try? handle.close() }
        let decoder = JSONDecoder()
        var line = Data()
        var number = 0
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 64 << 10) ?? Data() } catch {
                throw RuntimeFailure("\(path): cannot read (\(error.localizedDescription))")
            }
            if chunk.isEmpty { return }
            for byte in chunk {
                guard byte == 0x0A else {
                    line.append(byte)
                    continue
                }
                number += 1
                let record: StepRecord
                do { record = try decoder.decode(StepRecord.self, from: line) } catch {
                    throw InputError(path, "line \(number) is not a step record (\(JSONProblem.describe(error)))")
                }
                try body(record)
                line.removeAll(keepingCapacity: true)
            }
        }
    }
}
