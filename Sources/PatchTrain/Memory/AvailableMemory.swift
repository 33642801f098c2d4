import Foundation

/// The memory this process may use when the user names no budget: the cgroup's limit when one is set
/// (containers, systemd slices), else the kernel's MemAvailable estimate.
enum AvailableMemory {
    struct Reading: Sendable {
        let bytes: Int
        /// Where the figure came from, for the report.
        let source: String
    }

    static func read() -> Reading? {
        if let limit = cgroupLimit() { return limit }
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 2, let kib = Int(fields[1]) { return Reading(bytes: kib * 1024, source: "MemAvailable") }
        }
        return nil
    }

    /// cgroup v2 `memory.max` (or v1 `memory.limit_in_bytes`) of this process's group, when it is a real limit.
    private static func cgroupLimit() -> Reading? {
        let candidates = [
            ("/sys/fs/cgroup/memory.max", "cgroup memory.max"),
            ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "cgroup memory.limit_in_bytes"),
        ]
        for (path, name) in candidates {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            // "max", or v1's huge sentinel, mean no limit.
            if let bytes = Int(value), bytes < 1 << 50 { return Reading(bytes: bytes, source: name) }
        }
        return nil
    }
}
