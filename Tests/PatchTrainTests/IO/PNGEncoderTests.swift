import Foundation
@testable import PatchTrain
import Testing

/// PNG files from libpng, read back by decoders that share no code with the writer.
struct PNGEncoderTests {
    /// A 37 × 23 picture where every pixel differs from its neighbours.
    static func pattern() -> Raster {
        var raster = Raster(width: 37, height: 23)
        for y in 0..<23 { for x in 0..<37 { raster[x, y] = RGB(UInt8(x * 7 % 256), UInt8(y * 11 % 256), UInt8((x * y) % 256)) } }
        return raster
    }

    @Test func theFileStartsWithThePNGSignatureAndItsSize() throws {
        let bytes = try Self.pattern().pngBytes()
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR: width and height, big-endian, right after the chunk's length and type.
        #expect(Array(bytes[16..<24]) == [0, 0, 0, 37, 0, 0, 0, 23])
    }

    @Test(.enabled(if: ExternalTools.pythonWithPIL != nil, "Python with PIL (Debian: python3-pil) is not installed; make test-deps installs it"))
    func pilDecodesEveryPixel() throws {
        let folder = TemporaryFolder()
        let raster = Self.pattern()
        try raster.writePNG(to: folder.file("p.png"))
        let script = "from PIL import Image; im = Image.open('\(folder.file("p.png"))'); im.load(); "
            + "print(im.format, im.mode, im.size[0], im.size[1]); print(' '.join(str(v) for p in im.getdata() for v in p))"
        let (status, output) = try ExternalTools.run(ExternalTools.pythonWithPIL!, ["-c", script])
        #expect(status == 0)
        let lines = output.split(separator: "\n")
        #expect(lines.first == "PNG RGB 37 23")
        #expect(lines.dropFirst().first?.split(separator: " ").map { UInt8($0)! } == raster.pixels)
    }

    @Test(.enabled(if: ExternalTools.pngcheck != nil, "pngcheck is not installed; make test-deps installs it"))
    func pngcheckFindsNoError() throws {
        let folder = TemporaryFolder()
        try Self.pattern().writePNG(to: folder.file("p.png"))
        let (status, output) = try ExternalTools.run(ExternalTools.pngcheck!, ["-v", folder.file("p.png")])
        #expect(status == 0 && output.contains("No errors"), "\(output)")
    }
}
