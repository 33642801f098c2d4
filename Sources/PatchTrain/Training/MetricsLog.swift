import Foundation

/// `metrics.jsonl`: one JSON object per line, appended and flushed as each step ends, so a crashed run keeps
/// every step it finished (a torn last line is the most an interruption can leave).
public final class MetricsLog {
    public let path: String
    private let handle: FileHandle
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    public init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw RuntimeFailure("\(path): cannot create")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw RuntimeFailure("\(path): cannot open for writing") }
        self.handle = handle
        handle.seekToEndOfFile()
    }

    public func append<Record: Encodable>(_ record: Record) throws {
        var line = try encoder.encode(record)
        line.append(0x0A)
        do {
            try handle.write(contentsOf: line)
            try handle.synchronize()
        } catch {
            throw RuntimeFailure("\(path): cannot append (\(error.localizedDescription))")
        }
    }

    deinit { try? handle.close() }
}
