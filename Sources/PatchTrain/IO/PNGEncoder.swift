import CPNG

/// 8-bit RGB images as PNG, encoded by libpng. Its simplified write API (`png_image_write_to_memory`) reports
/// errors by return value instead of `longjmp`, which Swift cannot survive, so no error handler is needed.
public enum PNGEncoder {
    /// The PNG file bytes of a `width × height` image of `rgb` bytes, rows top to bottom, 3 bytes a pixel.
    public static func encode(rgb: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        precondition(width > 0 && height > 0 && rgb.count == width * height * 3, "rgb holds width × height pixels")
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = png_uint_32(PNG_FORMAT_RGB)
        let stride = png_int_32(width * 3)
        return try rgb.withUnsafeBytes { pixels in
            // First call: the size the encoded file needs; second: the file itself.
            var size: png_alloc_size_t = 0
            guard png_image_write_to_memory(&image, nil, &size, 0, pixels.baseAddress, stride, nil) != 0 else {
                throw RuntimeFailure("PNG encoding failed (\(message(of: &image)))")
            }
            var bytes = [UInt8](repeating: 0, count: Int(size))
            let ok = bytes.withUnsafeMutableBytes { out in
                png_image_write_to_memory(&image, out.baseAddress, &size, 0, pixels.baseAddress, stride, nil)
            }
            guard ok != 0 else { throw RuntimeFailure("PNG encoding failed (\(message(of: &image)))") }
            return Array(bytes.prefix(Int(size)))
        }
    }

    /// Writes the PNG of `rgb` to `path` atomically.
    public static func write(rgb: [UInt8], width: Int, height: Int, to path: String) throws {
        do {
            try AtomicFile.write(try encode(rgb: rgb, width: width, height: height), to: path)
        } catch let failure as RuntimeFailure where !failure.message.hasPrefix(path) {
            throw RuntimeFailure("\(path): \(failure.message)")
        }
    }

    private static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}
