/// What makes N ranks train as one: the sum of their gradients before Adam, the mean of their batch-norm running
/// statistics, the mean loss, and a check that their weights have stayed identical.
///
/// Gradients are fp32 and summed in place with `MPI_Allreduce`, one bucket of `bucketElements` at a time after the
/// step's last backward pass: the library's temporary buffers then stay within one bucket (`communicationBytes`
/// counts them in each rank's plan). They are not started during the backward pass: on CPU ranks the kernels
/// already use every core, so there is nothing idle to overlap the transfer with.
///
/// Batch normalisation uses each rank's own micro-batch statistics, as one process does for each micro-batch of
/// an accumulated step (so N ranks at micro-batch b train like one process at accumulation N with micro-batch b);
/// synchronising them would cost two small collectives per normalisation layer per micro-batch, latency-bound on
/// a cluster network. The running statistics, which each rank updates from its own micro-batches, are averaged
/// after every step, so every rank holds (and rank 0 saves) the same ones: the update is linear, so the average is
/// the running mean of the ranks' mean batch statistics.
public struct DataParallel {
    public let communicator: any Communicator
    /// Floats per allreduce.
    public let bucketElements: Int
    /// Weights are compared across ranks every this many steps (and whenever a checkpoint is saved).
    public static let checksumEvery = 10
    public static let defaultBucketElements = 1 << 20

    public init(communicator: any Communicator, bucketElements: Int = DataParallel.defaultBucketElements) {
        self.communicator = communicator
        self.bucketElements = bucketElements
    }

    /// Bytes of communication buffers a rank holds besides the gradients: Open MPI's temporary buffers of an in-place
    /// allreduce of one bucket (at most two bucket-sized ones for its ring and recursive-doubling algorithms).
    public static func communicationBytes(ranks: Int, bucketElements: Int = defaultBucketElements) -> Int {
        ranks > 1 ? 2 * bucketElements * MemoryLayout<Float>.size : 0
    }

    /// Sums the step's gradients over the ranks, averages the running statistics, and returns the mean of the
    /// ranks' losses (each the sum over its `microBatches`).
    func combine(_ parameters: ParameterStore, lossSum: Double, microBatches: Int) throws -> Double {
        guard communicator.isDistributed else { return lossSum / Double(microBatches) }
        var start = 0
        while start < parameters.trainableCount {
            let count = min(bucketElements, parameters.trainableCount - start)
            try communicator.sum(parameters.gradients + start, count: count)
            start += count
        }
        let statistics = parameters.floatCount - parameters.trainableCount
        if statistics > 0 {
            let running = parameters.values + parameters.trainableCount
            try communicator.sum(running, count: statistics)
            let scale = 1 / Float(communicator.size)
            for i in 0..<statistics { running[i] *= scale }
        }
        let total = try communicator.sum([lossSum])[0]
        return total / Double(microBatches * communicator.size)
    }

    /// Throws if any rank's weights (values and running statistics, bit for bit) differ from rank 0's.
    func checkAgreement(_ parameters: ParameterStore, step: Int) throws {
        guard communicator.isDistributed else { return }
        let sums = try communicator.gather(DataParallel.checksum(parameters))
        if let odd = sums.firstIndex(where: { $0 != sums[0] }) {
            throw RuntimeFailure("the weights of rank \(odd) differ from rank 0's after step \(step) (checksums \(String(sums[odd], radix: 16)) and \(String(sums[0], radix: 16))): the ranks no longer train one model")
        }
    }

    /// FNV-1a over the bits of every float value: cheap beside a step, and any differing bit changes it.
    static func checksum(_ parameters: ParameterStore) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for i in 0..<parameters.floatCount {
            hash = (hash ^ UInt64(parameters.values[i].bitPattern)) &* 0x100_0000_01B3
        }
        return hash
    }
}
