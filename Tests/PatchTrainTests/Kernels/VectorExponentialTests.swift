import Foundation
import Testing
@testable import PatchTrain

@Suite struct VectorExponentialTests {
    /// Against libm's exp over [−87, 88.08], every 1/64 (and the tail of a length that is
    /// not a multiple of 16): within 4 ulp of fp32.
    @Test func matchesLibmWithinFourUlp() {
        let inputs = (0..<(175 * 64 + 5)).map { Float(-87) + Float($0) / 64 }
        var values = inputs
        values.withUnsafeMutableBufferPointer { VectorExponential.exponentiate($0.baseAddress!, count: $0.count) }
        let worst = zip(values, inputs).map { got, x in
            let want = Foundation.exp(Double(x))
            return abs(Double(got) - want) / (want * Double(Float.ulpOfOne))
        }.max() ?? .infinity
        #expect(worst <= 4)
    }

    /// NaN stays NaN (a diverged step must still be seen); beyond the clamps, the nearest clamped value.
    @Test func keepsNaNAndClampsTheEnds() {
        let e = VectorExponential.exp(SIMD16<Float>([.nan, -.infinity, -1000, 0, 1, 200] + [Float](repeating: 0, count: 10)))
        #expect(e[0].isNaN)
        #expect(e[1] > 0 && e[1] < 1.3e-38 && e[2] == e[1])
        #expect(e[3] == 1)
        #expect(abs(e[4] - Float(M_E)) <= Float(M_E).ulp)
        #expect(e[5].isFinite && e[5] > 1e38)
    }
}
