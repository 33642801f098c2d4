/// Maxima for test comparisons that cannot be fooled by NaN: `Swift.max(x, .nan)` returns `x`, so a plain running
/// maximum scores an all-NaN output as a perfect 0. Any non-finite element makes these return +infinity, which
/// fails every tolerance.

/// The largest value, or +infinity when any value is NaN or infinite; 0 for an empty sequence.
func finiteMaximum<S: Sequence>(_ values: S) -> Double where S.Element: BinaryFloatingPoint {
    var worst = 0.0
    for value in values {
        let v = Double(value)
        guard v.isFinite else { return .infinity }
        if v > worst { worst = v }
    }
    return worst
}

/// Largest |a − b|, or +infinity when either side holds a non-finite value.
func worstAbsoluteDifference<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(_ a: [A], _ b: [B]) -> Double {
    precondition(a.count == b.count, "\(a.count) vs \(b.count)")
    var worst = 0.0
    for i in a.indices {
        let x = Double(a[i]), y = Double(b[i])
        guard x.isFinite, y.isFinite else { return .infinity }
        worst = Swift.max(worst, abs(x - y))
    }
    return worst
}
