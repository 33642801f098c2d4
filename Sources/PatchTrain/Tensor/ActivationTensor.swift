/// How an activation tensor's elements are stored. Training stores activations as fp16; fp32 storage exists for
/// gradients where the planner chooses it and for tests that check kernels without fp16 rounding in the way.
public enum ActivationElement: Sendable, Hashable {
    case float16, float32

    public var byteSize: Int { self == .float16 ? 2 : 4 }
}

/// A view of a channel-last activation tensor `(batch, x, y, z, c)` in C order, in memory it does not own (the
/// executor's arena, or a test's array). Kernels read and write through views so that where a tensor lives is
/// the planner's business alone.
public struct ActivationTensor: @unchecked Sendable {
    public var base: UnsafeMutableRawPointer
    public var batch: Int
    public var extent: Extent3
    public var channels: Int
    public var element: ActivationElement

    public init(base: UnsafeMutableRawPointer, batch: Int, extent: Extent3, channels: Int, element: ActivationElement) {
        precondition(batch > 0 && extent.volume > 0 && channels > 0, "empty activation tensor")
        self.base = base
        self.batch = batch
        self.extent = extent
        self.channels = channels
        self.element = element
    }

    /// Bytes a tensor of this shape occupies: what the planner reserves for it.
    public static func byteCount(batch: Int, extent: Extent3, channels: Int, element: ActivationElement) -> Int {
        batch * extent.volume * channels * element.byteSize
    }

    public var voxelsPerSample: Int { extent.volume }
    public var elementCount: Int { batch * extent.volume * channels }
    public var byteCount: Int { elementCount * element.byteSize }

    /// Widens `count` consecutive elements starting at element `offset` into `destination`.
    @inlinable
    public func read(at offset: Int, count: Int, into destination: UnsafeMutablePointer<Float>) {
        switch element {
        case .float16:
            Precision.widen(base.assumingMemoryBound(to: Float16.self) + offset, into: destination, count: count)
        case .float32:
            destination.update(from: base.assumingMemoryBound(to: Float.self) + offset, count: count)
        }
    }

    /// Stores `count` fp32 values at element `offset`, rounding once when the storage is fp16.
    @inlinable
    public func write(_ source: UnsafePointer<Float>, at offset: Int, count: Int) {
        switch element {
        case .float16:
            Precision.narrow(source, into: base.assumingMemoryBound(to: Float16.self) + offset, count: count)
        case .float32:
            (base.assumingMemoryBound(to: Float.self) + offset).update(from: source, count: count)
        }
    }

    /// `add` when `accumulate`, else `write`: for a gradient whose tensor may already hold another contribution.
    @inlinable
    public func store(_ source: UnsafePointer<Float>, at offset: Int, count: Int, accumulate: Bool) {
        if accumulate {
            add(source, at: offset, count: count)
        } else {
            write(source, at: offset, count: count)
        }
    }

    /// Adds `count` fp32 values into the stored elements at `offset` (the sum is formed in fp32, rounded once).
    /// Used where a tensor's gradient has two contributions, e.g. an encoder output read by both the pool and the
    /// decoder's skip concatenation.
    @inlinable
    public func add(_ source: UnsafePointer<Float>, at offset: Int, count: Int) {
        // Sixteen at a time through explicit vectors: the compiler cannot prove `source` and the tensor apart.
        let from = UnsafeRawPointer(source)
        var i = 0
        switch element {
        case .float16:
            let p = base.assumingMemoryBound(to: Float16.self) + offset, to = UnsafeMutableRawPointer(p)
            while i + 16 <= count {
                let sum = SIMD16<Float>(to.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<Float16>.self))
                    + from.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
                to.storeBytes(of: SIMD16<Float16>(sum), toByteOffset: 2 * i, as: SIMD16<Float16>.self)
                i += 16
            }
            while i < count { p[i] = Float16(Float(p[i]) + source[i]); i += 1 }
        case .float32:
            let p = base.assumingMemoryBound(to: Float.self) + offset, to = UnsafeMutableRawPointer(p)
            while i + 16 <= count {
                let sum = to.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
                    + from.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
                to.storeBytes(of: sum, toByteOffset: 4 * i, as: SIMD16<Float>.self)
                i += 16
            }
            while i < count { p[i] += source[i]; i += 1 }
        }
    }

    /// One element as fp32 (tests and reductions off the hot path).
    public subscript(index: Int) -> Float {
        switch element {
        case .float16: return Float(base.assumingMemoryBound(to: Float16.self)[index])
        case .float32: return base.assumingMemoryBound(to: Float.self)[index]
        }
    }

    public func sameShape(as other: ActivationTensor) -> Bool {
        batch == other.batch && extent == other.extent && channels == other.channels
    }
}

/// The read side of a fused normalisation + ReLU: `max(0, raw · scale[c] + shift[c])`.
///
/// Only the convolution output ("raw") is stored; every consumer (the next convolution, the pool, the skip
/// concatenation) applies this map while widening a tile. BatchNorm uses one scale/shift per channel for the whole
/// batch (`sampleStride == 0`); InstanceNorm has one per sample and channel (`sampleStride == channels`).
public struct NormalizedReLU: @unchecked Sendable {
    public var scale: UnsafePointer<Float>
    public var shift: UnsafePointer<Float>
    public var sampleStride: Int

    public init(scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, sampleStride: Int) {
        self.scale = scale
        self.shift = shift
        self.sampleStride = sampleStride
    }
}

/// An input a kernel reads: a stored tensor and, where it is a fused block's raw output, the map that turns it
/// into the block's activation.
public struct ActivationSource: @unchecked Sendable {
    public var tensor: ActivationTensor
    public var transform: NormalizedReLU?

    public init(_ tensor: ActivationTensor, transform: NormalizedReLU? = nil) {
        self.tensor = tensor
        self.transform = transform
    }

    public var channels: Int { tensor.channels }

    /// Reads `voxelCount` consecutive voxels (all channels) of sample `sample` starting at spatial voxel index
    /// `voxel`, applies the transform, and writes voxel i's channels at `destination + i * destinationStride`.
    @inlinable
    public func readVoxels(sample: Int, voxel: Int, voxelCount: Int,
                           into destination: UnsafeMutablePointer<Float>, destinationStride: Int) {
        let c = tensor.channels
        let start = (sample * tensor.voxelsPerSample + voxel) * c
        if c == 16 && tensor.element == .float16 && destinationStride != c {
            readSixteenHalfChannels(sample: sample, start: start, voxelCount: voxelCount, into: destination,
                                    destinationStride: destinationStride)
            return
        }
        if c % 16 == 0 && tensor.element == .float16 && (destinationStride != c || transform != nil) {
            readHalfChannelsInSixteens(sample: sample, start: start, voxelCount: voxelCount, into: destination,
                                       destinationStride: destinationStride)
            return
        }
        if destinationStride == c {
            tensor.read(at: start, count: voxelCount * c, into: destination)
        } else {
            // One voxel's channels at a time into a strided matrix (the im2col gather): the element switch is
            // hoisted out of the loop, and the common 16-channel fp16 case is one vcvtph2ps pair per voxel.
            switch tensor.element {
            case .float16:
                let from = UnsafeRawPointer(tensor.base) + 2 * start
                if c == 16 {
                    for i in 0..<voxelCount {
                        let half = from.loadUnaligned(fromByteOffset: 32 * i, as: SIMD16<Float16>.self)
                        UnsafeMutableRawPointer(destination + i * destinationStride)
                            .storeBytes(of: SIMD16<Float>(half), as: SIMD16<Float>.self)
                    }
                } else if c == 1 {
                    // The image into the first convolution: one element per voxel, no call per voxel.
                    let halves = from.assumingMemoryBound(to: Float16.self)
                    for i in 0..<voxelCount { destination[i &* destinationStride] = Float(halves[i]) }
                } else {
                    let halves = from.assumingMemoryBound(to: Float16.self)
                    for i in 0..<voxelCount {
                        Precision.widen(halves + i * c, into: destination + i * destinationStride, count: c)
                    }
                }
            case .float32:
                let singles = tensor.base.assumingMemoryBound(to: Float.self) + start
                if c == 16 {
                    // A 64-byte copy per voxel: inline vector moves rather than a memmove call each.
                    let from = UnsafeRawPointer(singles)
                    for i in 0..<voxelCount {
                        UnsafeMutableRawPointer(destination + i * destinationStride)
                            .storeBytes(of: from.loadUnaligned(fromByteOffset: 64 * i, as: SIMD16<Float>.self),
                                        as: SIMD16<Float>.self)
                    }
                } else {
                    for i in 0..<voxelCount {
                        (destination + i * destinationStride).update(from: singles + i * c, count: c)
                    }
                }
            }
        }
        guard let t = transform else { return }
        let scale = t.scale + sample * t.sampleStride, shift = t.shift + sample * t.sampleStride
        for i in 0..<voxelCount {
            let d = destination + i * destinationStride
            for k in 0..<c { d[k] = max(0, d[k] * scale[k] + shift[k]) }
        }
    }

    /// The im2col gather's hot case (16 fp16 channels into a strided fp32 matrix): one vcvtph2ps pair per voxel with
    /// the normalised ReLU applied in registers, so each destination line is written once. Running pointers and
    /// wrapping arithmetic keep overflow checks out of the loop, whose cost is the stores.
    @usableFromInline
    func readSixteenHalfChannels(sample: Int, start: Int, voxelCount: Int,
                                 into destination: UnsafeMutablePointer<Float>, destinationStride: Int) {
        var from = UnsafeRawPointer(tensor.base) + 2 * start
        var to = UnsafeMutableRawPointer(destination)
        let step = 4 &* destinationStride
        guard let t = transform else {
            for _ in 0..<voxelCount {
                to.storeBytes(of: SIMD16<Float>(from.loadUnaligned(as: SIMD16<Float16>.self)), as: SIMD16<Float>.self)
                from += 32
                to += step
            }
            return
        }
        let offset = sample * t.sampleStride
        let scale = UnsafeRawPointer(t.scale + offset).loadUnaligned(as: SIMD16<Float>.self)
        let shift = UnsafeRawPointer(t.shift + offset).loadUnaligned(as: SIMD16<Float>.self)
        let zero = SIMD16<Float>(repeating: 0)
        for _ in 0..<voxelCount {
            let y = SIMD16<Float>(from.loadUnaligned(as: SIMD16<Float16>.self)) * scale + shift
            // max(0, y) as the scalar path has it (NaN → 0) by compare and blend: `pointwiseMax` is not lowered to
            // vector instructions and made this loop scalar.
            to.storeBytes(of: y.replacing(with: zero, where: .!(y .>= zero)), as: SIMD16<Float>.self)
            from += 32
            to += step
        }
    }

    /// Any multiple of 16 fp16 channels, with or without the transform: sixteen channels per vector as
    /// `readSixteenHalfChannels`, the scale and shift of each group read from L1. The scalar loop it replaces left
    /// the normalised ReLU unvectorised for the 32- to 256-channel layers.
    @usableFromInline
    func readHalfChannelsInSixteens(sample: Int, start: Int, voxelCount: Int,
                                    into destination: UnsafeMutablePointer<Float>, destinationStride: Int) {
        let groups = tensor.channels / 16
        let from = UnsafeRawPointer(tensor.base) + 2 * start
        let to = UnsafeMutableRawPointer(destination)
        let zero = SIMD16<Float>(repeating: 0)
        let offset = transform.map { sample * $0.sampleStride } ?? 0
        for i in 0..<voxelCount {
            let source = from + 32 * groups * i, target = to + 4 * destinationStride * i
            for j in 0..<groups {
                var y = SIMD16<Float>(source.loadUnaligned(fromByteOffset: 32 * j, as: SIMD16<Float16>.self))
                if let t = transform {
                    y = y * UnsafeRawPointer(t.scale + offset + 16 * j).loadUnaligned(as: SIMD16<Float>.self)
                        + UnsafeRawPointer(t.shift + offset + 16 * j).loadUnaligned(as: SIMD16<Float>.self)
                    y = y.replacing(with: zero, where: .!(y .>= zero))
                }
                target.storeBytes(of: y, toByteOffset: 64 * j, as: SIMD16<Float>.self)
            }
        }
    }
}
