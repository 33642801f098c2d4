/// The processes of one data-parallel run and the few collective operations training needs from them. Every
/// rank calls each operation in the same order; each returns once all ranks have contributed.
///
/// `SingleProcess` is the run without `mpirun` (every operation is the identity, so a lone process behaves exactly
/// as if no communicator existed); `MPICommunicator` is the one over Open MPI.
public protocol Communicator: AnyObject, Sendable {
    /// This process's number, 0..<size; rank 0 writes the run folder.
    var rank: Int { get }
    var size: Int { get }
    /// Replaces `values` with their element-wise sum over all ranks.
    func sum(_ values: UnsafeMutablePointer<Float>, count: Int) throws
    func sum(_ values: UnsafeMutablePointer<Double>, count: Int) throws
    /// The largest of every rank's `value`.
    func maximum(_ value: Int) throws -> Int
    /// Every rank's `value`, by rank.
    func gather(_ value: UInt64) throws -> [UInt64]
    /// Ends the whole job at once with `code` (a rank that failed while the others may be waiting on it).
    func abort(code: Int32) -> Never
    /// Leaves the job in order (every rank calls it once, at the end).
    func finish()
}

extension Communicator {
    public var isRoot: Bool { rank == 0 }
    public var isDistributed: Bool { size > 1 }
    /// Whether item `index` of a list the ranks split between them (validation cases, inference cases) is this
    /// rank's: every `size`-th item from its rank on.
    public func owns(_ index: Int) -> Bool { index % size == rank }

    /// `values` summed over the ranks, for a few scalars.
    public func sum(_ values: [Double]) throws -> [Double] {
        var copy = values
        try copy.withUnsafeMutableBufferPointer { try sum($0.baseAddress!, count: $0.count) }
        return copy
    }

    /// "rank 1 of 4" — how messages name a process of a distributed run.
    public var rankName: String { "rank \(rank) of \(size)" }
}
