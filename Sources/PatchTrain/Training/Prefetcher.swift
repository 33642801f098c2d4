import Foundation

/// Reads micro-batches of patches on a background thread while the consumer trains on the previous one.
///
/// A fixed pool of `depth + 1` batches of `microBatch` patches is allocated once: up to `depth` filled batches
/// wait in the queue while the consumer holds one. Batches come out in the order the sampler draws them —
/// one producer, one sequence — so timing never changes what is trained on. A reading error is delivered to
/// the consumer in sequence (after the batches drawn before it) and ends the producer; `stop()` (or dropping
/// the prefetcher) cancels and joins it.
public final class Prefetcher: Sendable {
    public let depth: Int
    public let microBatch: Int
    private let shared: PrefetchQueue

    /// Takes over `sampler`: from here on only the prefetcher's thread may use it.
    public init(sampler: PatchSampler, depth: Int, microBatch: Int = 1) {
        precondition(depth >= 1, "prefetch depth must be at least 1")
        precondition(microBatch >= 1, "micro-batch must be at least 1")
        self.depth = depth
        self.microBatch = microBatch
        let slots = (0...depth).map { _ in PatchBatch(count: microBatch, extent: sampler.patchExtent, channels: sampler.channels) }
        shared = PrefetchQueue(sampler: sampler, slots: slots, depth: depth)
        let queue = shared
        let thread = Thread { queue.produce() }
        thread.name = "patchtrain-prefetch"
        thread.start()
    }

    deinit { shared.stop() }

    /// The next batch, waiting for the producer if needed. It stays valid until the following call.
    /// Throws the reading error (naming the case) once the batches before it are consumed, or
    /// `RuntimeFailure` after `stop()`.
    public func next() throws -> PatchBatch { try shared.take() }

    /// The sampler state after the last batch returned by `next()` (the initial state before any): what a
    /// checkpoint saves to resume exactly where training stands, not where the producer has read ahead to.
    public var resumeState: PatchSamplerState { shared.consumedState }

    /// Cancels the producer and waits for it to finish its current patch. Idempotent.
    public func stop() { shared.stop() }

    /// Waits until the producer rests: its queue full (or it has ended). A resting producer maps no file pages,
    /// so validation, which maps its own, never holds both at once (`ValidationMemory` counts on it).
    public func waitUntilResting() { shared.waitUntilResting() }

    /// Bytes of the pool and buffers for these settings: see `DataPipelineMemory`.
    public static func memory(depth: Int, microBatch: Int, patch: Extent3, channels: Int) -> DataPipelineMemory {
        DataPipelineMemory.count(depth: depth, microBatch: microBatch, patch: patch, channels: channels)
    }
}

/// The state shared by the producer thread and the consumer.
///
/// `@unchecked Sendable` because every mutable field (`produced`, `taken`, `failure`, `cancelled`,
/// `finished`, `consumedState`) is read and written only while holding `condition`, and the slot contents follow
/// a strict hand-off: the producer writes slot `produced % (depth + 1)` only while `produced - taken < depth`,
/// which guarantees that slot is neither queued nor held by the consumer; publishing it (incrementing
/// `produced` under the lock) orders those writes before the consumer's reads. The sampler is touched only by
/// the producer thread.
private final class PrefetchQueue: @unchecked Sendable {
    let sampler: PatchSampler
    let slots: [PatchBatch]
    let depth: Int
    let condition = NSCondition()
    var produced = 0
    var taken = 0
    var failure: (any Error)?
    var cancelled = false
    var finished = false
    var consumedState: PatchSamplerState {
        get { condition.withLock { lastTakenState } }
    }
    private var lastTakenState: PatchSamplerState

    init(sampler: PatchSampler, slots: [PatchBatch], depth: Int) {
        self.sampler = sampler
        self.slots = slots
        self.depth = depth
        self.lastTakenState = sampler.state
    }

    /// The producer thread's body.
    func produce() {
        var sequence = 0
        while true {
            condition.lock()
            while !cancelled && produced - taken >= depth { condition.wait() }
            if cancelled {
                finish(failure: nil)
                return
            }
            condition.unlock()

            let batch = slots[sequence % slots.count]
            do {
                for patch in batch.patches {
                    if condition.withLock({ cancelled }) { break }
                    try sampler.next(into: patch)
                }
            } catch {
                condition.lock()
                finish(failure: error)
                return
            }
            batch.sequenceNumber = sequence
            batch.samplerStateAfter = sampler.state
            sequence += 1

            condition.lock()
            if cancelled {
                finish(failure: nil)
                return
            }
            produced += 1
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Called with the lock held; releases it.
    private func finish(failure: (any Error)?) {
        if self.failure == nil { self.failure = failure }
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    func take() throws -> PatchBatch {
        condition.lock()
        defer { condition.unlock() }
        while produced == taken && !finished && !cancelled { condition.wait() }
        if produced > taken && !cancelled {
            let batch = slots[taken % slots.count]
            taken += 1
            lastTakenState = batch.samplerStateAfter ?? lastTakenState
            condition.broadcast()
            return batch
        }
        if let failure, !cancelled { throw failure }
        throw RuntimeFailure("patch prefetcher was stopped")
    }

    func waitUntilResting() {
        condition.lock()
        while !cancelled && !finished && produced - taken < depth { condition.wait() }
        condition.unlock()
    }

    func stop() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }
}
