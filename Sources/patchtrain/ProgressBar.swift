import Foundation

/// Progress of a counted job on stderr, shared by the long-running commands.
///
/// On a terminal it redraws one line in place: `label [#####-----] 3/10  1.2 cases/s  ETA 0:06`.
/// When stderr is a pipe or a file, redrawing would leave a mess of carriage returns in the log, so it prints
/// plain lines instead, at most one every `logInterval` seconds plus the final one.
/// Safe to update from worker threads: every call takes one lock.
final class ProgressBar: @unchecked Sendable {
    let label: String
    let total: Int
    let unit: String
    let interactive: Bool
    let logInterval: Double
    /// Nothing is drawn until the job has run this long, so quick jobs leave stderr to what matters.
    let quietPeriod: Double
    /// Items already done when the bar was created (a resumed job): they count in the bar, not in the rate.
    let initial: Int

    private let lock = NSLock()
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    private var completed = 0
    private var lastDrawn: ContinuousClock.Instant?
    private var lastDrawnCount = -1
    private var finished = false
    private var detail = ""

    /// Redraws on a terminal are limited to this often; more is flicker, not information.
    private static let redrawInterval = 0.1

    init(label: String, total: Int, unit: String = "items",
         interactive: Bool = Terminal.standardErrorIsTerminal, logInterval: Double = 2, quietPeriod: Double = 0,
         initial: Int = 0) {
        self.label = label
        self.total = max(total, 0)
        self.unit = unit
        self.interactive = interactive
        self.logInterval = logInterval
        self.quietPeriod = quietPeriod
        self.initial = min(max(initial, 0), max(total, 0))
        completed = self.initial
        started = clock.now
        lock.withLock { draw(force: true) }
    }

    /// Counts `count` more items done.
    func advance(by count: Int = 1) {
        lock.withLock {
            completed = min(completed + count, total)
            draw(force: completed == total)
        }
    }

    /// Sets the number of items done, and optionally a short status shown after the counts (e.g. the loss).
    func update(completed value: Int, detail text: String? = nil) {
        lock.withLock {
            completed = min(max(value, 0), total)
            if let text { detail = text }
            draw(force: completed == total)
        }
    }

    /// Draws the final state and ends the line; further updates are ignored.
    func finish() {
        lock.withLock {
            guard !finished else { return }
            // The last update already drew the final count; drawing it again would only repeat the line.
            // A job that finished inside its quiet period stays silent.
            if lastDrawnCount != completed && lastDrawn != nil { draw(force: true) }
            if interactive && lastDrawn != nil { emit("\n") }
            finished = true
        }
    }

    /// Seconds since the bar was created.
    var elapsed: Double { seconds(clock.now - started) }

    // MARK: - Drawing (called with the lock held)

    private func draw(force: Bool) {
        guard !finished else { return }
        let now = clock.now
        if lastDrawn == nil && seconds(now - started) < quietPeriod { return }
        if let last = lastDrawn {
            if completed == lastDrawnCount && !interactive { return }
            let since = seconds(now - last)
            if !force && since < (interactive ? Self.redrawInterval : logInterval) { return }
        }
        lastDrawn = now
        lastDrawnCount = completed
        let status = statusText(elapsed: seconds(now - started))
        if interactive {
            let bar = barText(width: max(10, min(40, Self.terminalWidth() - label.count - status.count - 6)))
            // \r returns to the line's start; ESC[K clears whatever a longer previous line left behind.
            emit("\r\(label) \(bar) \(status)\u{1B}[K")
        } else {
            emit("\(label): \(status)\n")
        }
    }

    private func statusText(elapsed: Double) -> String {
        var parts = ["\(completed)/\(total)"]
        if completed > initial && elapsed > 0 {
            let rate = Double(completed - initial) / elapsed
            parts.append("\(Self.formatRate(rate)) \(unit)/s")
            if completed < total {
                parts.append("ETA \(Self.formatDuration(Double(total - completed) / rate))")
            } else {
                parts.append("in \(Self.formatDuration(elapsed))")
            }
        }
        if !detail.isEmpty { parts.append(detail) }
        return parts.joined(separator: "  ")
    }

    private func barText(width: Int) -> String {
        let filled = total == 0 ? width : width * completed / total
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }

    private func emit(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    private func seconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
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
