@testable import PatchTrain

/// A tensor that owns its memory, for tests: kernels see it through `view`.
final class OwnedTensor {
    let view: ActivationTensor
    private let storage: UnsafeMutableRawPointer

    init(batch: Int, extent: Extent3, channels: Int, element: ActivationElement, values: [Float]? = nil) {
        let bytes = ActivationTensor.byteCount(batch: batch, extent: extent, channels: channels, element: element)
        storage = .allocate(byteCount: bytes, alignment: 64)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        view = ActivationTensor(base: storage, batch: batch, extent: extent, channels: channels, element: element)
        if let values { self.values = values }
    }

    deinit { storage.deallocate() }

    var count: Int { view.elementCount }

    /// All elements as fp32 (fp16 storage widened); setting rounds to the storage type.
    var values: [Float] {
        get { (0..<count).map { view[$0] } }
        set {
            precondition(newValue.count == count)
            newValue.withUnsafeBufferPointer { view.write($0.baseAddress!, at: 0, count: count) }
        }
    }

    func set(_ index: Int, _ value: Float) {
        var v = value
        view.write(&v, at: index, count: 1)
    }
}

/// Raw fp32 scratch owned by a test.
final class Workspace {
    let pointer: UnsafeMutableRawPointer
    init(floats: Int) {
        pointer = .allocate(byteCount: max(1, floats) * 4, alignment: 64)
        pointer.initializeMemory(as: Float.self, repeating: .nan, count: max(1, floats))  // kernels must not read stale data
    }
    deinit { pointer.deallocate() }
}

/// Deterministic pseudo-random numbers for test data (SplitMix64), uniform in [lo, hi).
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform(_ lo: Float = -1, _ hi: Float = 1) -> Float {
        lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24)
    }
    mutating func array(_ count: Int, _ lo: Float = -1, _ hi: Float = 1) -> [Float] {
        (0..<count).map { _ in uniform(lo, hi) }
    }
}

/// Largest |a − b| / (atol + rtol·|b|); ≤ 1 means within tolerance. A NaN or infinity on either side gives +infinity:
/// the workspaces are filled with NaN to catch stale reads, so a NaN must never score as agreement.
func worstError(_ a: [Float], _ b: [Double], atol: Double, rtol: Double) -> Double {
    precondition(a.count == b.count, "\(a.count) vs \(b.count)")
    var worst = 0.0
    for i in a.indices {
        let got = Double(a[i])
        guard got.isFinite, b[i].isFinite else { return .infinity }
        worst = max(worst, abs(got - b[i]) / (atol + rtol * abs(b[i])))
    }
    return worst
}

func worstError(_ a: [Float], _ b: [Float], atol: Double, rtol: Double) -> Double {
    worstError(a, b.map(Double.init), atol: atol, rtol: rtol)
}

func roundedToHalf(_ values: [Float]) -> [Float] { values.map { Float(Float16($0)) } }

/// A flat index into a channel-last tensor.
func index(_ n: Int, _ x: Int, _ y: Int, _ z: Int, _ c: Int, extent e: Extent3, channels: Int) -> Int {
    (((n * e.x + x) * e.y + y) * e.z + z) * channels + c
}

/// Central differences of a scalar function at `x`, one coordinate at a time.
func finiteDifferences(at x: [Float], step h: Float, _ f: ([Float]) -> Double) -> [Double] {
    (0..<x.count).map { i in
        var p = x, m = x
        p[i] += h
        m[i] -= h
        return (f(p) - f(m)) / Double(p[i] - m[i])
    }
}

/// Σ a ⊙ b in fp64: the scalar "loss" whose gradient with respect to a layer's output is `b`.
func dot(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

/// Distinct values (a shuffled ramp with spacing `gap`), so that max and ReLU have no near-ties for FD steps < gap/2.
func distinctValues(_ count: Int, gap: Float, seed: UInt64) -> [Float] {
    var r = TestRandom(seed: seed)
    var values = (0..<count).map { Float($0 - count / 2) * gap }
    for i in stride(from: count - 1, to: 0, by: -1) { values.swapAt(i, Int(r.next() % UInt64(i + 1))) }
    return values
}

func withTransform<R>(scale: [Float], shift: [Float], sampleStride: Int, _ body: (NormalizedReLU) -> R) -> R {
    scale.withUnsafeBufferPointer { s in
        shift.withUnsafeBufferPointer { t in
            body(NormalizedReLU(scale: s.baseAddress!, shift: t.baseAddress!, sampleStride: sampleStride))
        }
    }
}
