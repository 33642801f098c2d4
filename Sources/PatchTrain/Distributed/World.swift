import Foundation

/// The communicator of this process: MPI's world when a launcher started it as one rank of a job, else a single
/// process. Made once, on first use, because MPI may be initialised only once.
public enum World {
    public static func join() throws -> any Communicator {
        try lock.withLock {
            if let joined { return joined }
            let made: any Communicator = MPICommunicator.isLaunchedByMPI ? try MPICommunicator() : SingleProcess()
            joined = made
            return made
        }
    }

    /// The communicator if `join()` has run (error paths use it to end the whole job).
    public static var current: (any Communicator)? { lock.withLock { joined } }

    nonisolated(unsafe) private static var joined: (any Communicator)?
    private static let lock = NSLock()
}
