/// The transforms of Winograd F(m,3) along z (Lavin and Gray), for m = 2 or 4 outputs per group: a group's m
/// outputs y_k = Σ_t g_t · d_{k+t} come from `points` = m + 2 products m_i = u_i · w_i, with u = Bᵀd (the inputs),
/// w = G·g (the three z taps) and y = Aᵀm. F(2,3) uses the points 0, ±1, ∞; F(4,3) adds ±2, so it needs half the
/// multiply-adds of the direct sum where F(2,3) needs two thirds, at the price of coefficients up to 8 (fp32
/// transforms keep the error within the direct passes' tolerances; `WinogradConvolutionTests`).
///
/// The data transforms run along contiguous columns (channels, or a 9-tap im2col row), sixteen lanes at a time.
struct ZWinogradTransforms: Sendable, Hashable {
    /// Outputs per group, m: 2 or 4.
    let outputs: Int
    /// Transformed inputs (and products) per group, m + 2.
    var points: Int { outputs + 2 }

    init(outputs: Int) {
        precondition(outputs == 2 || outputs == 4, "Winograd F(m,3) along z is built for m = 2 or 4")
        self.outputs = outputs
    }

    /// G·(g0, g1, g2), the `points` transformed taps, to `w[i·stride]`.
    func transformWeights(_ g0: Float, _ g1: Float, _ g2: Float, into w: UnsafeMutablePointer<Float>, stride: Int) {
        if outputs == 2 {
            w[0] = g0
            w[stride] = (g0 + g1 + g2) * 0.5
            w[2 * stride] = (g0 - g1 + g2) * 0.5
            w[3 * stride] = g2
        } else {
            w[0] = g0 / 4
            w[stride] = -(g0 + g1 + g2) / 6
            w[2 * stride] = -(g0 - g1 + g2) / 6
            w[3 * stride] = (g0 + 2 * g1 + 4 * g2) / 24
            w[4 * stride] = (g0 - 2 * g1 + 4 * g2) / 24
            w[5 * stride] = g2
        }
    }

    /// Gᵀ·(M_0 … M_{points−1}), the three z taps' weight gradients, from the sums `m[i·stride]`.
    func weightGradientTaps(_ m: UnsafePointer<Float>, stride: Int) -> (Float, Float, Float) {
        let m0 = m[0], m1 = m[stride], m2 = m[2 * stride], m3 = m[3 * stride]
        if outputs == 2 {
            let half1 = 0.5 * m1, half2 = 0.5 * m2
            return (m0 + half1 + half2, half1 - half2, half1 + half2 + m3)
        }
        let m4 = m[4 * stride], m5 = m[5 * stride]
        let sum12 = m1 + m2, difference12 = m1 - m2, sum34 = m3 + m4, difference34 = m3 - m4
        return (m0 / 4 - sum12 / 6 + sum34 / 24, difference34 / 12 - difference12 / 6, (sum34 - sum12) / 6 + m5)
    }

    /// Bᵀd for every group of one padded z-row's 9-tap im2col `d` (`[z+2 × width]`): group j reads padded voxels
    /// m·j … m·j + m + 1 and writes its u_i to `u + i·stride + j·width`.
    func transformInputs(_ d: UnsafePointer<Float>, width: Int, groups: Int, into u: UnsafeMutablePointer<Float>,
                         stride: Int) {
        for j in 0..<groups {
            let from = d + outputs * j * width, to = u + j * width
            forEachColumnBlock(width) { c in
                inputBlock(SixteenLanes.self, from + c, width, to + c, stride)
            } one: { c in
                inputBlock(OneLane.self, from + c, width, to + c, stride)
            }
        }
    }

    /// Aᵀm for `groups` groups of products (`m + i·stride + q·channels`), plus the bias, to the channel-last tile:
    /// group q's outputs are voxels m·q … m·q + m − 1.
    func transformOutputs(_ m: UnsafePointer<Float>, channels: Int, groups: Int, stride: Int,
                          bias: UnsafePointer<Float>?, into tile: UnsafeMutablePointer<Float>) {
        for q in 0..<groups {
            let from = m + q * channels, to = tile + outputs * q * channels
            forEachColumnBlock(channels) { c in
                outputBlock(SixteenLanes.self, from + c, stride, bias.map { $0 + c }, to + c, channels)
            } one: { c in
                outputBlock(OneLane.self, from + c, stride, bias.map { $0 + c }, to + c, channels)
            }
        }
    }

    /// A·e for `groups` groups of output-gradient voxels (`[groups · m × channels]`): group q's v_i to
    /// `v + i·stride + q·channels`. The weight gradient's transform, as Aᵀ is the forward pass's.
    func transformGradients(_ e: UnsafePointer<Float>, channels: Int, groups: Int,
                            into v: UnsafeMutablePointer<Float>, stride: Int) {
        for q in 0..<groups {
            let from = e + outputs * q * channels, to = v + q * channels
            forEachColumnBlock(channels) { c in
                gradientBlock(SixteenLanes.self, from + c, channels, to + c, stride)
            } one: { c in
                gradientBlock(OneLane.self, from + c, channels, to + c, stride)
            }
        }
    }

    /// Calls `sixteen` at each block of sixteen of `count` columns while they last, then `one` at each column left.
    @inline(__always)
    private func forEachColumnBlock(_ count: Int, sixteen: (Int) -> Void, one: (Int) -> Void) {
        var c = 0
        while c + 16 <= count {
            sixteen(c)
            c += 16
        }
        while c < count {
            one(c)
            c += 1
        }
    }

    @inline(__always)
    private func inputBlock<V: ZWinogradLane>(_: V.Type, _ d: UnsafePointer<Float>, _ width: Int,
                                              _ u: UnsafeMutablePointer<Float>, _ stride: Int) {
        let d0 = V(d), d1 = V(d + width), d2 = V(d + 2 * width), d3 = V(d + 3 * width)
        if outputs == 2 {
            (d0 - d2).store(u)
            (d1 + d2).store(u + stride)
            (d2 - d1).store(u + 2 * stride)
            (d1 - d3).store(u + 3 * stride)
            return
        }
        let d4 = V(d + 4 * width), d5 = V(d + 5 * width)
        let a = d4 - 4 * d2, b = d3 - 4 * d1, e = d4 - d2, f = 2 * (d3 - d1)
        (4 * d0 - 5 * d2 + d4).store(u)
        (a + b).store(u + stride)
        (a - b).store(u + 2 * stride)
        (e + f).store(u + 3 * stride)
        (e - f).store(u + 4 * stride)
        (4 * d1 - 5 * d3 + d5).store(u + 5 * stride)
    }

    @inline(__always)
    private func outputBlock<V: ZWinogradLane>(_: V.Type, _ m: UnsafePointer<Float>, _ stride: Int,
                                               _ bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>,
                                               _ channels: Int) {
        let offset = bias.map { V($0) } ?? V.zero
        let m0 = V(m), m1 = V(m + stride), m2 = V(m + 2 * stride), m3 = V(m + 3 * stride)
        if outputs == 2 {
            (m0 + m1 + m2 + offset).store(y)
            (m1 - m2 - m3 + offset).store(y + channels)
            return
        }
        let m4 = V(m + 4 * stride), m5 = V(m + 5 * stride)
        let a = m1 + m2, b = m1 - m2, c = m3 + m4, e = m3 - m4
        (m0 + a + c + offset).store(y)
        (b + 2 * e + offset).store(y + channels)
        (a + 4 * c + offset).store(y + 2 * channels)
        (b + 8 * e + m5 + offset).store(y + 3 * channels)
    }

    @inline(__always)
    private func gradientBlock<V: ZWinogradLane>(_: V.Type, _ e: UnsafePointer<Float>, _ channels: Int,
                                                 _ v: UnsafeMutablePointer<Float>, _ stride: Int) {
        let e0 = V(e), e1 = V(e + channels)
        if outputs == 2 {
            e0.store(v)
            (e0 + e1).store(v + stride)
            (e0 - e1).store(v + 2 * stride)
            (-e1).store(v + 3 * stride)
            return
        }
        let e2 = V(e + 2 * channels), e3 = V(e + 3 * channels)
        let s = e0 + e2, t = e1 + e3, s4 = e0 + 4 * e2, t4 = 2 * e1 + 8 * e3
        e0.store(v)
        (s + t).store(v + stride)
        (s - t).store(v + 2 * stride)
        (s4 + t4).store(v + 3 * stride)
        (s4 - t4).store(v + 4 * stride)
        e3.store(v + 5 * stride)
    }
}

/// A block of columns the transforms work on: sixteen lanes, or one for the tail, with the same formulas. (Wrappers
/// rather than conformances of `SIMD16<Float>` and `Float`, whose operators would then resolve to these.)
protocol ZWinogradLane {
    init(_ pointer: UnsafePointer<Float>)
    func store(_ pointer: UnsafeMutablePointer<Float>)
    static var zero: Self { get }
    static func + (lhs: Self, rhs: Self) -> Self
    static func - (lhs: Self, rhs: Self) -> Self
    static func * (lhs: Float, rhs: Self) -> Self
    static prefix func - (operand: Self) -> Self
}

struct SixteenLanes: ZWinogradLane {
    var value: SIMD16<Float>
    @inline(__always) init(value: SIMD16<Float>) { self.value = value }
    @inline(__always) init(_ pointer: UnsafePointer<Float>) {
        value = UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }
    @inline(__always) func store(_ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD16<Float>.self)
    }
    static var zero: Self { Self(value: .zero) }
    @inline(__always) static func + (lhs: Self, rhs: Self) -> Self { Self(value: lhs.value + rhs.value) }
    @inline(__always) static func - (lhs: Self, rhs: Self) -> Self { Self(value: lhs.value - rhs.value) }
    @inline(__always) static func * (lhs: Float, rhs: Self) -> Self { Self(value: lhs * rhs.value) }
    @inline(__always) static prefix func - (operand: Self) -> Self { Self(value: -operand.value) }
}

struct OneLane: ZWinogradLane {
    var value: Float
    @inline(__always) init(value: Float) { self.value = value }
    @inline(__always) init(_ pointer: UnsafePointer<Float>) { value = pointer.pointee }
    @inline(__always) func store(_ pointer: UnsafeMutablePointer<Float>) { pointer.pointee = value }
    static var zero: Self { Self(value: 0) }
    @inline(__always) static func + (lhs: Self, rhs: Self) -> Self { Self(value: lhs.value + rhs.value) }
    @inline(__always) static func - (lhs: Self, rhs: Self) -> Self { Self(value: lhs.value - rhs.value) }
    @inline(__always) static func * (lhs: Float, rhs: Self) -> Self { Self(value: lhs * rhs.value) }
    @inline(__always) static prefix func - (operand: Self) -> Self { Self(value: -operand.value) }
}
