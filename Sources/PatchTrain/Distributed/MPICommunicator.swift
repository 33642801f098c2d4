import CMPI
import Foundation

/// `MPI_COMM_WORLD` of a job started by `mpirun` or `srun`. MPI is initialised only when the launcher's
/// environment says this process is one rank of a job (`isLaunchedByMPI`), so a plain `patchtrain fit` never
/// touches the library.
///
/// Errors are returned, not fatal (`MPI_ERRORS_RETURN`), so a failed collective becomes a `RuntimeFailure` naming
/// this rank; when a peer dies, Open MPI's launcher usually ends the job first.
///
/// `@unchecked Sendable`: the handle never changes after `init`, and MPI is only ever called from the thread that
/// trains (it is initialised `MPI_THREAD_FUNNELED`).
public final class MPICommunicator: Communicator, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    private let world: MPI_Comm

    /// Environment variables a launcher sets in each rank: Open MPI's `mpirun`, and SLURM's `srun --mpi=pmix`
    /// or `--mpi=pmi2`.
    static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"]

    public static var isLaunchedByMPI: Bool {
        let environment = ProcessInfo.processInfo.environment
        return launcherVariables.contains { environment[$0] != nil }
    }

    /// Initialises MPI (once per process).
    public init() throws {
        var provided: Int32 = 0
        // FUNNELED: only the training thread calls MPI; the prefetcher and the kernels' workers never do.
        let status = MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided)
        guard status == cmpi_success() else { throw RuntimeFailure("MPI_Init_thread failed (\(MPICommunicator.describe(status)))") }
        world = cmpi_comm_world()
        MPI_Comm_set_errhandler(world, cmpi_errors_return())
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(world, &rank)
        MPI_Comm_size(world, &size)
        self.rank = Int(rank)
        self.size = Int(size)
    }

    public func sum(_ values: UnsafeMutablePointer<Float>, count: Int) throws {
        try check(MPI_Allreduce(cmpi_in_place(), values, Int32(count), cmpi_float(), cmpi_sum(), world), "MPI_Allreduce")
    }

    public func sum(_ values: UnsafeMutablePointer<Double>, count: Int) throws {
        try check(MPI_Allreduce(cmpi_in_place(), values, Int32(count), cmpi_double(), cmpi_sum(), world), "MPI_Allreduce")
    }

    public func maximum(_ value: Int) throws -> Int {
        var local = Int64(value), result: Int64 = 0
        try check(MPI_Allreduce(&local, &result, 1, cmpi_int64(), cmpi_max(), world), "MPI_Allreduce")
        return Int(result)
    }

    public func gather(_ value: UInt64) throws -> [UInt64] {
        var local = value
        var all = [UInt64](repeating: 0, count: size)
        try check(MPI_Allgather(&local, 1, cmpi_uint64(), &all, 1, cmpi_uint64(), world), "MPI_Allgather")
        return all
    }

    public func abort(code: Int32) -> Never {
        MPI_Abort(world, code)
        exit(code)
    }

    public func finish() { MPI_Finalize() }

    private func check(_ status: Int32, _ call: String) throws {
        guard status != cmpi_success() else { return }
        throw RuntimeFailure("\(rankName): \(call) failed (\(MPICommunicator.describe(status)))")
    }

    private static func describe(_ status: Int32) -> String {
        var text = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
        var length: Int32 = 0
        MPI_Error_string(status, &text, &length)
        return String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
