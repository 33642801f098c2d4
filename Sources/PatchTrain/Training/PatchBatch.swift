/// One micro-batch of patches handed out by the `Prefetcher`: a slot of its fixed pool.
///
/// Valid until the consumer's next call to `Prefetcher.next()`, after which the producer may refill it.
/// `@unchecked Sendable` for the same reason as `Patch`: the prefetcher's lock hands it from one
/// exclusive user to the next.
public final class PatchBatch: @unchecked Sendable {
    public let patches: [Patch]
    /// The whole micro-batch's images, `(batch, x, y, z, c)` fp16, contiguous: the executor's input tensor.
    public let image: UnsafeMutableBufferPointer<Float16>
    /// The whole micro-batch's labels, `(batch, x, y, z)`.
    public let labels: UnsafeMutableBufferPointer<UInt8>
    /// 0 for the first batch the prefetcher produced, then 1, 2, ...
    public internal(set) var sequenceNumber = -1
    /// The sampler's state just after this batch was drawn: saving it with a checkpoint resumes the run
    /// exactly after this batch, however far ahead the prefetcher had read.
    public internal(set) var samplerStateAfter: PatchSamplerState?

    /// `count` patches laid out back to back in two blocks, zeroed so their pages are resident from the start.
    init(count: Int, extent: Extent3, channels: Int) {
        let imageValues = extent.volume * channels
        image = .allocate(capacity: count * imageValues)
        image.initialize(repeating: 0)
        labels = .allocate(capacity: count * extent.volume)
        labels.initialize(repeating: 0)
        patches = (0..<count).map { [image, labels] i in
            Patch(extent: extent, channels: channels,
                  image: UnsafeMutableBufferPointer(rebasing: image[(i * imageValues)..<((i + 1) * imageValues)]),
                  labels: UnsafeMutableBufferPointer(rebasing: labels[(i * extent.volume)..<((i + 1) * extent.volume)]))
        }
    }

    deinit {
        image.deallocate()
        labels.deallocate()
    }

    public var count: Int { patches.count }
    public subscript(i: Int) -> Patch { patches[i] }
}
