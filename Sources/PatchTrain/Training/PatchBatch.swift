/// One micro-batch of patches handed out by the `Prefetcher`: a slot of its fixed pool.
///
/// Valid until the consumer's next call to `Prefetcher.next()`, after which the producer may refill it.
/// `@unchecked Sendable` for the same reason as `Patch`: the prefetcher's lock hands it from one
/// exclusive user to the next.
public final class PatchBatch: @unchecked Sendable {
    public let patches: [Patch]
    /// 0 for the first batch the prefetcher produced, then 1, 2, ...
    public internal(set) var sequenceNumber = -1
    /// The sampler's state just after this batch was drawn: saving it with a checkpoint resumes the run
    /// exactly after this batch, however far ahead the prefetcher had read.
    public internal(set) var samplerStateAfter: PatchSamplerState?

    init(patches: [Patch]) { self.patches = patches }

    public var count: Int { patches.count }
    public subscript(i: Int) -> Patch { patches[i] }
}
