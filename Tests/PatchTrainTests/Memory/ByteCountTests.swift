import Testing
@testable import PatchTrain

@Suite struct ByteCountTests {
    @Test(arguments: [
        ("8G", 8 << 30), ("8GiB", 8 << 30), ("8gb", 8 << 30), ("512M", 512 << 20), ("1.5G", 3 << 29),
        ("64K", 64 << 10), ("1000", 1000), (" 2G ", 2 << 30), ("1T", 1 << 40),
    ])
    func parsesBinaryUnits(text: String, bytes: Int) {
        #expect(ByteCount.parse(text) == bytes)
    }

    @Test(arguments: ["", "G", "8X", "-1G", "1.2.3G", "eight"])
    func rejectsWhatIsNotASize(text: String) {
        #expect(ByteCount.parse(text) == nil)
    }

    @Test func formatsWithBinaryUnits() {
        #expect(ByteCount.format(17) == "17 B")
        #expect(ByteCount.format(3 << 29) == "1.5 GiB")
        #expect(ByteCount.format(812 << 20) == "812.0 MiB")
    }
}
