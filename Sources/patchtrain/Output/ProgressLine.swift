import Foundation

/// When a progress bar writes to stderr: on a terminal at most every `redrawInterval` (more is flicker, not
/// information); in a log at most every `logInterval`, and never the same count twice; nothing at all during the
/// quiet period. Not thread-safe: `ProgressBar` calls it under its lock.
struct ProgressLine {
    let interactive: Bool
    let logInterval: Double
    let quietPeriod: Double
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    private var lastDrawn: ContinuousClock.Instant?
    private var lastDrawnCount = -1

    private static let redrawInterval = 0.1

    init(interactive: Bool, logInterval: Double, quietPeriod: Double) {
        self.interactive = interactive
        self.logInterval = logInterval
        self.quietPeriod = quietPeriod
        started = clock.now
    }

    var elapsed: Double { Self.seconds(clock.now - started) }

    /// Writes `render(elapsed)` if it is time to; `force` (the last item, the first draw) skips the rate limit.
    mutating func draw(completed: Int, force: Bool, render: (Double) -> String) {
        let now = clock.now
        if lastDrawn == nil && Self.seconds(now - started) < quietPeriod { return }
        if let last = lastDrawn {
            if completed == lastDrawnCount && !interactive { return }
            if !force && Self.seconds(now - last) < (interactive ? Self.redrawInterval : logInterval) { return }
        }
        lastDrawn = now
        lastDrawnCount = completed
        Self.emit(render(Self.seconds(now - started)))
    }

    /// The final state, once: the last update already drew the final count unless it came in between, and a job
    /// that finished inside its quiet period stays silent.
    mutating func end(completed: Int, render: (Double) -> String) {
        if lastDrawnCount != completed && lastDrawn != nil { draw(completed: completed, force: true, render: render) }
        if interactive && lastDrawn != nil { Self.emit("\n") }
    }

    private static func emit(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    static func seconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}
