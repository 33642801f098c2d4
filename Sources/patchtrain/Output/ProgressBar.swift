import Foundation

/// Progress of a counted job on stderr, shared by the long-running commands.
///
/// On a terminal it redraws one line in place: `label [#####-----] 3/10  1.2 cases/s  ETA 0:06`.
/// When stderr is a pipe or a file, redrawing would leave a mess of carriage returns in the log, so it prints
/// plain lines instead, at most one every `logInterval` seconds plus the final one (`ProgressLine` decides).
/// Safe to update from worker threads: every call takes one lock.
final class ProgressBar: @unchecked Sendable {
    let label: String
    let total: Int
    let unit: String
    /// Items already done when the bar was created (a resumed job): they count in the bar, not in the rate.
    let initial: Int
    let interactive: Bool
    private let lock = NSLock()
    private var line: ProgressLine
    private var completed = 0
    private var finished = false
    private var detail = ""

    /// `quietPeriod`: nothing is drawn until the job has run this long, so quick jobs leave stderr to what matters.
    init(label: String, total: Int, unit: String = "items",
         interactive: Bool = Terminal.standardErrorIsTerminal, logInterval: Double = 2, quietPeriod: Double = 0,
         initial: Int = 0) {
        self.label = label
        self.total = max(total, 0)
        self.unit = unit
        self.initial = min(max(initial, 0), max(total, 0))
        completed = self.initial
        self.interactive = interactive
        line = ProgressLine(interactive: interactive, logInterval: logInterval, quietPeriod: quietPeriod)
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
            line.end(completed: completed) { render(elapsed: $0) }
            finished = true
        }
    }

    /// Seconds since the bar was created.
    var elapsed: Double { line.elapsed }

    // Called with the lock held.
    private func draw(force: Bool) {
        guard !finished else { return }
        line.draw(completed: completed, force: force) { render(elapsed: $0) }
    }

    private func render(elapsed: Double) -> String {
        let status = ProgressText.status(completed: completed, total: total, initial: initial, unit: unit,
                                         detail: detail, elapsed: elapsed)
        guard interactive else { return "\(label): \(status)\n" }
        let bar = ProgressText.bar(completed: completed, total: total,
                                   width: max(10, min(40, ProgressText.terminalWidth() - label.count - status.count - 6)))
        // \r returns to the line's start; ESC[K clears whatever a longer previous line left behind.
        return "\r\(label) \(bar) \(status)\u{1B}[K"
    }
}
