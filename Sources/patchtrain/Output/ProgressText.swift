import Foundation

/// The words and the bar of a progress line: `3/10  1.2 cases/s  ETA 0:06  loss 0.41`, `[####------]`.
enum ProgressText {
    static func status(completed: Int, total: Int, initial: Int, unit: String, detail: String, elapsed: Double) -> String {
        var parts = ["\(completed)/\(total)"]
        if completed > initial && elapsed > 0 {
            let rate = Double(completed - initial) / elapsed
            parts.append("\(formatRate(rate)) \(unit)/s")
            if completed < total {
                parts.append("ETA \(formatDuration(Double(total - completed) / rate))")
            } else {
                parts.append("in \(formatDuration(elapsed))")
            }
        }
        if !detail.isEmpty { parts.append(detail) }
        return parts.joined(separator: "  ")
    }

    static func bar(completed: Int, total: Int, width: Int) -> String {
        let filled = total == 0 ? width : width * completed / total
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }

    static func formatRate(_ rate: Double) -> String {
        rate >= 10 ? String(format: "%.0f", rate) : (rate >= 1 ? String(format: "%.1f", rate) : String(format: "%.2f", rate))
    }

    /// `0:07`, `12:34`, `1:02:03`.
    static func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        let (h, m, r) = (s / 3600, s / 60 % 60, s % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, r) : String(format: "%d:%02d", m, r)
    }

    /// Columns of the terminal on stderr, 80 when it cannot be asked.
    static func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }
}
