import Foundation

/// The process's resident memory as the kernel counts it (`/proc/self/status`): the measure behind every
/// budget patchtrain promises. Values in bytes; zero where the platform does not expose them.
public enum ProcessMemory {
    /// Current resident set size (VmRSS).
    public static var residentBytes: Int { statusField("VmRSS:") }
    /// Peak resident set size since the process started (VmHWM).
    public static var peakResidentBytes: Int { statusField("VmHWM:") }

    private static func statusField(_ name: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            // The line reads `VmRSS:\t  123456 kB`: tabs and spaces before the number.
            let kib = line.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) } ?? 0
            return kib * 1024
        }
        return 0
    }
}
