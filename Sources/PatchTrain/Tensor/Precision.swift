/// Bulk conversions between fp16 activation storage and fp32 compute buffers.
///
/// Every kernel widens fp16 tiles into fp32 before arithmetic and narrows results once on the way out, so these two
/// loops sit on the hot path of every layer. They work sixteen lanes at a time through `SIMD16`, which a release build
/// for an F16C CPU (`-target-cpu x86-64-v3`) lowers to `vcvtph2ps` / `vcvtps2ph` on 256-bit registers; the scalar tail
/// handles the last `count % 16` elements. Narrowing rounds to nearest-even, as `Float16(_:)` does.
public enum Precision {
    /// `destination[i] = Float(source[i])` for `i < count`. Buffers may be unaligned and must not overlap.
    @inlinable
    public static func widen(_ source: UnsafePointer<Float16>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(destination)
        var i = 0
        while i + 16 <= count {
            let half = from.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<Float16>.self)
            to.storeBytes(of: SIMD16<Float>(half), toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        if i + 8 <= count {
            let half = from.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<Float16>.self)
            to.storeBytes(of: SIMD8<Float>(half), toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            destination[i] = Float(source[i])
            i += 1
        }
    }

    /// `destination[i] = Float16(source[i])` (round to nearest even; beyond ±65504 gives ±infinity).
    @inlinable
    public static func narrow(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float16>, count: Int) {
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(destination)
        var i = 0
        while i + 16 <= count {
            let single = from.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            to.storeBytes(of: SIMD16<Float16>(single), toByteOffset: 2 * i, as: SIMD16<Float16>.self)
            i += 16
        }
        if i + 8 <= count {
            let single = from.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            to.storeBytes(of: SIMD8<Float16>(single), toByteOffset: 2 * i, as: SIMD8<Float16>.self)
            i += 8
        }
        while i < count {
            destination[i] = Float16(source[i])
            i += 1
        }
    }
}
