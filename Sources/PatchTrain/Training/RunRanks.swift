/// The decisions the ranks of a data-parallel run must take together, so that none waits on a collective the
/// others have left.
enum RunRanks {
    /// A run trains under a plan made for as many ranks as the job has.
    static func check(plan: MemoryPlan, communicator: any Communicator, source: String) throws {
        guard plan.rankCount != communicator.size else { return }
        let job = communicator.isDistributed ? "this job has \(communicator.size)" : "this is a single process (start it with mpirun -np \(plan.rankCount))"
        throw InputError(source, "planned for \(plan.rankCount) rank(s), \(job)")
    }

    /// The stop signal if any rank has been asked to stop (mpirun forwards a signal to every rank, but not
    /// necessarily before the same step): every rank then stops after the same step.
    static func agreedStop(_ request: StopRequest, communicator: any Communicator) throws -> Int32? {
        guard communicator.isDistributed else { return request.requested }
        let signal = try communicator.maximum(Int(request.requested ?? 0))
        return signal > 0 ? Int32(signal) : nil
    }
}
