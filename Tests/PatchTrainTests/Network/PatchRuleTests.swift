@testable import PatchTrain
import Testing

/// The one rule for a patch or window the user gives, used by plan, fit and infer alike.
@Suite struct PatchRuleTests {
    @Test func thePatchRuleIsTheNetworksPoolingMultiple() throws {
        let configuration = UNetConfiguration()
        #expect(configuration.accepts(patch: Extent3(64, 32, 16)))
        #expect(!configuration.accepts(patch: Extent3(64, 32, 24)))
        #expect(throws: InputError("--patch 64x64x60", "every edge must be a positive multiple of 16")) {
            try configuration.checkPatch(Extent3(64, 64, 60), option: "--patch")
        }
        #expect(UNetConfiguration(depth: 3).accepts(patch: Extent3(24, 8, 8)))
    }
}
