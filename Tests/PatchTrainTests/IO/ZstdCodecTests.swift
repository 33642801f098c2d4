import Testing
@testable import PatchTrain

@Suite struct ZstdCodecTests {
    @Test func roundTripsBytes() throws {
        for input in [[UInt8](), [7], (0..<100_000).map { UInt8(truncatingIfNeeded: $0 / 100) }] {
            let compressed = try ZstdCodec.compress(input)
            #expect(try ZstdCodec.decompress(compressed, source: "mem") == input)
        }
    }

    @Test func damagedInputIsAnInputErrorNamingTheSource() throws {
        let compressed = try ZstdCodec.compress((0..<5_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        for bad in [[UInt8](repeating: 1, count: 64), Array(compressed.prefix(compressed.count - 5)), []] {
            #expect {
                _ = try ZstdCodec.decompress(bad, source: "some/file.zst")
            } throws: { error in
                (error as? InputError)?.file == "some/file.zst"
            }
        }
        // A frame claiming more than allowed is refused before allocating.
        #expect(throws: InputError.self) { _ = try ZstdCodec.decompress(compressed, source: "f", maximumSize: 100) }
    }
}
