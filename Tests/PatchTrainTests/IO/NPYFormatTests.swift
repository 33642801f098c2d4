import Foundation
import Testing
@testable import PatchTrain

/// The reader against hand-built files: every dtype in every header version, Fortran order, boxes, refusals.
@Suite struct NPYFormatTests {
    /// `count` little-endian elements of `type` holding small values every type can represent, and those values.
    static func sample(_ type: ElementType, count: Int) -> (bytes: [UInt8], values: [Float]) {
        switch type {
        case .float32:
            let v = (0..<count).map { Float($0) * 0.5 - 3 }
            return (RawNPY.bytes(v), v)
        case .float16:
            let v = (0..<count).map { Float16(Float($0) * 0.5 - 3) }
            return (RawNPY.bytes(v), v.map(Float.init))
        case .float64:
            let v = (0..<count).map { Double($0) * 0.25 - 1 }
            return (RawNPY.bytes(v), v.map(Float.init))
        case .uint8:
            let v = (0..<count).map { UInt8(($0 * 11) % 256) }
            return (v, v.map(Float.init))
        case .int8:
            let v = (0..<count).map { Int8($0 % 100 - 50) }
            return (RawNPY.bytes(v), v.map(Float.init))
        case .int16:
            let v = (0..<count).map { Int16($0 * 300 - 3000) }
            return (RawNPY.bytes(v), v.map(Float.init))
        case .int32:
            let v = (0..<count).map { Int32($0 * 70_000 - 500_000) }
            return (RawNPY.bytes(v), v.map(Float.init))
        case .int64:
            let v = (0..<count).map { Int64($0) * 1_000_003 - 9_000_000 }
            return (RawNPY.bytes(v), v.map(Float.init))
        case .uint16:
            let v = (0..<count).map { UInt16($0 * 500 + 7) }
            return (RawNPY.bytes(v), v.map(Float.init))
        case .uint32:
            let v = (0..<count).map { UInt32($0 * 90_001 + 3) }
            return (RawNPY.bytes(v), v.map { Float($0) })  // not Float.init: that picks init(bitPattern:)
        case .bool:
            let v = (0..<count).map { UInt8($0 % 3 == 0 ? 1 : 0) }
            return (v, v.map(Float.init))
        }
    }

    static let versions: [UInt8] = [1, 2, 3]

    @Test(arguments: ElementType.allCases, versions)
    func everyDtypeInEveryVersionReadsBack(type: ElementType, version: UInt8) throws {
        let folder = TemporaryFolder()
        let shape = [3, 4, 5, 2]
        let (bytes, values) = Self.sample(type, count: 120)
        let path = folder.file("a.npy")
        try Data(RawNPY.file(descr: NPYHeader.descr(for: type), shape: shape, version: version, data: bytes)).write(to: URL(fileURLWithPath: path))
        let volume = try NPYVolume(path: path)
        #expect(volume.header.version == version)
        #expect(volume.elementType == type)
        #expect(volume.shape == VolumeShape(x: 3, y: 4, z: 5, channels: 2))
        #expect(volume.readAll() == values)
    }

    @Test func writerOutputRoundTripsForEveryDtype() throws {
        let folder = TemporaryFolder()
        for type in ElementType.allCases {
            let (bytes, values) = Self.sample(type, count: 24)
            let path = folder.file("\(type).npy")
            let writer = try NPYWriter(path: path, elementType: type, shape: [2, 3, 4])
            try bytes.withUnsafeBytes { try writer.append(raw: $0) }
            try writer.finish()
            let volume = try NPYVolume(path: path)
            #expect(volume.header.version == 1)
            #expect(volume.readAll() == values, "\(type)")
        }
    }

    /// Element `(x, y, z, c)` of the test arrays: distinct, and easy to check by eye.
    static func value(_ x: Int, _ y: Int, _ z: Int, _ c: Int) -> Float { Float(x * 1000 + y * 100 + z * 10 + c) }

    static func cOrder(_ s: [Int]) -> [Float] {
        var out: [Float] = []
        for x in 0..<s[0] { for y in 0..<s[1] { for z in 0..<s[2] { for c in 0..<s[3] { out.append(value(x, y, z, c)) } } } }
        return out
    }

    static func fortranOrder(_ s: [Int]) -> [Float] {
        var out: [Float] = []
        for c in 0..<s[3] { for z in 0..<s[2] { for y in 0..<s[1] { for x in 0..<s[0] { out.append(value(x, y, z, c)) } } } }
        return out
    }

    @Test(arguments: [false, true])
    func fortranAndCOrderReadTheSameArray(fortran: Bool) throws {
        let folder = TemporaryFolder()
        let shape = [7, 6, 5, 3]
        let data = fortran ? Self.fortranOrder(shape) : Self.cOrder(shape)
        let path = folder.file("a.npy")
        try Data(RawNPY.file(descr: "<f4", shape: shape, fortranOrder: fortran, data: RawNPY.bytes(data))).write(to: URL(fileURLWithPath: path))
        let volume = try NPYVolume(path: path)
        #expect(volume.header.fortranOrder == fortran)
        #expect(volume.readAll() == Self.cOrder(shape))

        // A box read equals the same slice taken from the whole array.
        let box = Box3(origin: Extent3(2, 1, 3), size: Extent3(4, 3, 2))
        var got = [Float](repeating: -1, count: box.size.volume * 3)
        got.withUnsafeMutableBufferPointer { volume.read(box, into: $0.baseAddress!) }
        var expected: [Float] = []
        for x in 2..<6 { for y in 1..<4 { for z in 3..<5 { for c in 0..<3 { expected.append(Self.value(x, y, z, c)) } } } }
        #expect(got == expected)
    }

    @Test func threeDimensionalArrayHasOneChannel() throws {
        let folder = TemporaryFolder()
        let path = folder.file("a.npy")
        try Data(RawNPY.file(descr: "<i2", shape: [2, 3, 4], version: 3, data: RawNPY.bytes((0..<24).map(Int16.init)))).write(to: URL(fileURLWithPath: path))
        let volume = try NPYVolume(path: path)
        #expect(volume.shape == VolumeShape(x: 2, y: 3, z: 4, channels: 1))
        var one: Float = 0
        volume.read(Box3(origin: Extent3(1, 2, 3), size: Extent3(1, 1, 1)), into: &one)
        #expect(one == 23)
    }

    @Test func bigEndianIsRefusedClearly() throws {
        let folder = TemporaryFolder()
        let path = folder.file("a.npy")
        try Data(RawNPY.file(descr: ">f4", shape: [2, 2, 2], data: [UInt8](repeating: 0, count: 32))).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: InputError.self) { try NPYVolume(path: path) }
        #expect(error?.file == path)
        #expect(error?.problem.contains("big-endian") == true)
        #expect(error?.problem.contains(">f4") == true)
    }

    @Test func malformedFilesAreInputErrors() throws {
        let folder = TemporaryFolder()
        let cases: [(String, [UInt8], String)] = [
            ("magic", Array("PK\u{3}\u{4} definitely a zip".utf8), "magic"),
            ("complex", RawNPY.file(descr: "<c8", shape: [2, 2, 2], data: [UInt8](repeating: 0, count: 64)), "unsupported dtype"),
            ("short", Array(RawNPY.file(descr: "<f4", shape: [2, 2, 2], data: [UInt8](repeating: 0, count: 32)).dropLast(4)), "truncated"),
            ("version", [0x93] + Array("NUMPY".utf8) + [9, 0, 0, 0], "version"),
            ("empty", [], "too short"),
        ]
        for (name, bytes, words) in cases {
            let path = folder.file("\(name).npy")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: InputError.self) { try NPYVolume(path: path) }
            #expect(error?.file == path)
            #expect(error?.problem.contains(words) == true, "\(name): \(error?.problem ?? "")")
        }
    }

    /// The memory model counts on this: pages walked once and released no longer count against the budget.
    @Test func releasePagesDropsResidentMemory() throws {
        #if os(Linux)
        let folder = TemporaryFolder()
        let path = folder.file("big.npy")
        let shape = [256, 256, 256]  // 64 MiB of float32
        let writer = try NPYWriter(path: path, elementType: .float32, shape: shape)
        let plane = [Float](repeating: 1.5, count: 256 * 256)
        for _ in 0..<256 { try writer.append(plane) }
        try writer.finish()

        let volume = try NPYVolume(path: path)
        let fileBytes = 64 << 20
        let before = ProcessMemory.residentBytes
        var buffer = [Float](repeating: 0, count: 256 * 256)
        var sum: Float = 0
        for x in 0..<256 {
            buffer.withUnsafeMutableBufferPointer {
                volume.read(Box3(origin: Extent3(x, 0, 0), size: Extent3(1, 256, 256)), into: $0.baseAddress!)
            }
            sum += buffer[x]
        }
        let loaded = ProcessMemory.residentBytes
        volume.releasePages()
        let released = ProcessMemory.residentBytes
        #expect(sum == 1.5 * 256)
        // Other tests run in parallel in this process, so allow a quarter of slack either way.
        #expect(loaded - before > fileBytes * 3 / 4, "reading grew RSS by only \(loaded - before) bytes")
        #expect(loaded - released > fileBytes * 3 / 4, "release dropped RSS by only \(loaded - released) bytes")
        #endif
    }
}
