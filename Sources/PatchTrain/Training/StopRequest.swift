import Foundation

/// A request to stop training at the next step boundary, set from anywhere (a signal handler's queue, a test)
/// and read by the training loop between steps. The first request wins; it remembers the signal that made it.
public final class StopRequest: @unchecked Sendable {
    // One lock around one optional: checked once per step, so its cost is nothing beside a step's.
    private let lock = NSLock()
    private var signalNumber: Int32?

    public init() {}

    /// Records the request; returns false if one was already made (a second Ctrl-C).
    @discardableResult
    public func request(signal: Int32) -> Bool {
        lock.withLock {
            guard signalNumber == nil else { return false }
            signalNumber = signal
            return true
        }
    }

    /// The signal that asked to stop, if any.
    public var requested: Int32? { lock.withLock { signalNumber } }
}
