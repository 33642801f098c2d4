import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only log of lines (`metrics.jsonl`, `metrics.csv`): each line is appended and flushed as its step
/// ends, so a crashed run keeps every step it finished (a torn last line is the most an interruption can leave,
/// and `truncate(_:keepingLinesWhile:)` removes it on resume).
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

    /// Whether nothing has been written yet (a CSV then needs its header).
    public var isEmpty: Bool { handle.offsetInFile == 0 }

    /// Appends `record` as one line of JSON.
    public func append<Record: Encodable>(_ record: Record) throws {
        try appendLine(try encoder.encode(record))
    }

    /// Appends one line (the newline is added).
    public func appendLine(_ text: String) throws {
        try appendLine(Data(text.utf8))
    }

    private func appendLine(_ bytes: Data) throws {
        var line = bytes
        line.append(0x0A)
        do {
            try handle.write(contentsOf: line)
            try handle.synchronize()
        } catch {
            throw RuntimeFailure("\(path): cannot append (\(error.localizedDescription))")
        }
    }

    deinit { try? handle.close() }

    /// Cuts the file after its leading lines that end in a newline and satisfy `keep`: at the first line that does
    /// not (or a torn last line), the rest goes. Streams through a fixed buffer, however long the file. A missing
    /// file is left missing.
    public static func truncate(_ path: String, keepingLinesWhile keep: (String) -> Bool) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        var kept: UInt64 = 0, position: UInt64 = 0
        var line = Data()
        scanning: while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 64 << 10) ?? Data() } catch {
                throw RuntimeFailure("\(path): cannot read (\(error.localizedDescription))")
            }
            if chunk.isEmpty { break }
            for byte in chunk {
                position += 1
                guard byte == 0x0A else {
                    line.append(byte)
                    continue
                }
                guard keep(String(decoding: line, as: UTF8.self)) else { break scanning }
                kept = position
                line.removeAll(keepingCapacity: true)
            }
        }
        guard kept < fileSize(path) else { return }
        guard SystemCall.truncate(path, off_t(kept)) == 0 else {
            throw RuntimeFailure("\(path): cannot truncate (\(String(cString: strerror(errno))))")
        }
    }

    private static func fileSize(_ path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }
}
