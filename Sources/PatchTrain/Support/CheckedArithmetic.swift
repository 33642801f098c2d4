/// Integer arithmetic on values read from files or options, where an overflow must become an error, not a trap.
enum Checked {
    /// a · b, or nil when it overflows `Int`.
    static func product(_ a: Int, _ b: Int) -> Int? {
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : value
    }

    /// a + b, or nil when it overflows `Int`.
    static func sum(_ a: Int, _ b: Int) -> Int? {
        let (value, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : value
    }

    /// The product of non-negative `factors`, or nil when any is negative or the product overflows `Int`.
    static func product(_ factors: some Sequence<Int>) -> Int? {
        var total = 1
        for factor in factors {
            guard factor >= 0, let next = product(total, factor) else { return nil }
            total = next
        }
        return total
    }

    /// The product of non-negative `factors` times `scale`, or nil on a negative factor or overflow (a byte size from
    /// a shape and an element size).
    static func byteCount(_ factors: some Sequence<Int>, elementSize scale: Int) -> Int? {
        guard let count = product(factors) else { return nil }
        return product(count, scale)
    }
}
