import Foundation
@testable import PatchTrain

/// Arrays written by `Fixtures/kernels/make_golden.py` (PyTorch, float64, saved as float32).
enum GoldenFixture {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/kernels")

    static func load(_ name: String) throws -> (shape: [Int], values: [Float]) {
        let path = folder.appendingPathComponent(name + ".npy").path
        let file = try MappedFile(path: path)
        let header = try NPYHeader(parsing: file.bytes(at: 0, count: min(file.size, 4096)), file: path)
        precondition(header.elementType == .float32 && !header.fortranOrder, "\(name): expected C-order float32")
        let data = file.bytes(at: header.dataOffset, count: header.dataByteCount)
        let values = (0..<header.elementCount).map { data.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
        return (header.shape, values)
    }

    static func values(_ name: String) throws -> [Float] { try load(name).values }

    /// A channel-last activation fixture `(n, x, y, z, c)` as an owned tensor.
    static func tensor(_ name: String, element: ActivationElement) throws -> OwnedTensor {
        let (s, v) = try load(name)
        precondition(s.count == 5, "\(name): expected (n, x, y, z, c)")
        return OwnedTensor(batch: s[0], extent: Extent3(s[1], s[2], s[3]), channels: s[4], element: element, values: v)
    }
}
