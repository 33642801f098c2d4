import Testing

/// The comparison helpers must fail a tolerance on any NaN or infinity, wherever it sits.
struct FiniteComparisonTests {
    @Test func worstErrorIsInfiniteForAnyNonFiniteValue() {
        let exact: [Float] = [1, 2, 3, 4]
        #expect(worstError(exact, exact, atol: 1e-6, rtol: 0) == 0)
        for bad in [Float.nan, .infinity, -.infinity] {
            for position in exact.indices {
                var got = exact
                got[position] = bad
                #expect(worstError(got, exact, atol: 1e-6, rtol: 0) == .infinity, "\(bad) at \(position) in the result")
                #expect(worstError(exact, got, atol: 1e-6, rtol: 0) == .infinity, "\(bad) at \(position) in the reference")
            }
        }
        let allNaN = [Float](repeating: .nan, count: 4)
        #expect(!(worstError(allNaN, exact, atol: 1e-3, rtol: 1e-3) <= 1))
    }

    @Test func maximaAreInfiniteForAnyNonFiniteValue() {
        #expect(finiteMaximum([0.5, 0.25] as [Float]) == 0.5)
        #expect(finiteMaximum([] as [Double]) == 0)
        #expect(finiteMaximum([0.5, .nan] as [Float]) == .infinity)
        #expect(finiteMaximum([.nan, 0.5] as [Double]) == .infinity)
        #expect(worstAbsoluteDifference([1, 2] as [Float], [1, 2.5] as [Float]) == 0.5)
        #expect(worstAbsoluteDifference([1, .nan] as [Float], [1, 2] as [Float]) == .infinity)
        #expect(worstAbsoluteDifference([1, 2] as [Float], [-.infinity, 2] as [Double]) == .infinity)
    }
}
