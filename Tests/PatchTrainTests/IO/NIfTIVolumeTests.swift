import Foundation
import Testing
@testable import PatchTrain

@Suite struct NIfTIVolumeTests {
    static let types: [ElementType] = [.uint8, .int8, .int16, .uint16, .int32, .uint32, .int64, .float32, .float64]

    /// Writes `values` (C order) through the streaming writer, which compresses for `.nii.gz`.
    private func write(_ values: [Double], shape: VolumeShape, type: ElementType, to path: String,
                       edit: (inout NIfTIHeader) -> Void = { _ in }) throws {
        var header = NIfTIHeader(shape: shape, elementType: type)
        edit(&header)
        let writer = try NIfTIWriter(path: path, header: header)
        try NIfTITestBytes.fortran(values, shape: shape, type: type).withUnsafeBytes { try writer.append(raw: $0) }
        try writer.finish()
    }

    @Test(arguments: types)
    func roundTripsEveryDatatypeIn3DAnd4DPlainAndCompressed(type: ElementType) throws {
        let folder = TemporaryFolder()
        for shape in [VolumeShape(x: 5, y: 4, z: 3), VolumeShape(x: 3, y: 4, z: 2, channels: 3)] {
            for name in ["v.nii", "v.nii.gz"] {
                let path = folder.file("\(type)-\(shape.channels)-\(name)")
                let values = NIfTITestBytes.values(count: shape.elements, type: type)
                try write(values, shape: shape, type: type, to: path)
                let volume = try NIfTIVolume(path: path, cacheFolder: folder.file("cache"))
                #expect(volume.shape == shape)
                #expect(volume.elementType == type)
                #expect(volume.readAll() == values.map { Float($0) }, "\(path)")
            }
        }
    }

    @Test func aBoxReadsTheRightVoxelsAndChannels() throws {
        let folder = TemporaryFolder()
        let shape = VolumeShape(x: 6, y: 5, z: 4, channels: 2)
        let values = (0..<shape.elements).map(Double.init)
        try write(values, shape: shape, type: .int32, to: folder.file("b.nii"))
        let volume = try NIfTIVolume(path: folder.file("b.nii"), cacheFolder: folder.file("cache"))
        let box = Box3(origin: Extent3(1, 2, 1), size: Extent3(3, 2, 3))
        var out = [Float](repeating: -1, count: box.size.volume * 2)
        out.withUnsafeMutableBufferPointer { volume.read(box, into: $0.baseAddress!) }
        var expected: [Float] = []
        for x in 1..<4 { for y in 2..<4 { for z in 1..<4 { for c in 0..<2 {
            expected.append(Float(((x * 5 + y) * 4 + z) * 2 + c))
        } } } }
        #expect(out == expected)
    }

    @Test func slopeAndInterceptAreApplied() throws {
        let folder = TemporaryFolder()
        let shape = VolumeShape(x: 4, y: 3, z: 2)
        let values = NIfTITestBytes.values(count: shape.elements, type: .int16)
        try write(values, shape: shape, type: .int16, to: folder.file("s.nii")) { header in
            header.sclSlope = 0.25
            header.sclInter = 10
        }
        let volume = try NIfTIVolume(path: folder.file("s.nii"), cacheFolder: folder.file("cache"))
        #expect(volume.elementType == .int16)
        #expect(volume.readAll() == values.map { Float($0 * 0.25 + 10) })
    }

    @Test func bigEndianFileIsByteSwapped() throws {
        let folder = TemporaryFolder()
        let shape = VolumeShape(x: 3, y: 2, z: 2, channels: 2)
        for (type, code) in [(ElementType.int16, 4), (.uint32, 768), (.float32, 16), (.float64, 64)] {
            var header = HandBuiltHeader(bigEndian: true, dims: [3, 2, 2, 2], datatype: code, bitpix: type.byteSize * 8)
            header.putFloat(2, at: 112)   // scl_slope
            header.putFloat(-1, at: 116)  // scl_inter
            let values = NIfTITestBytes.values(count: shape.elements, type: type)
            let path = folder.file("be-\(type).nii")
            NIfTITestBytes.writeFile(header.bytes + NIfTITestBytes.fortran(values, shape: shape, type: type, bigEndian: true), to: path)
            let volume = try NIfTIVolume(path: path, cacheFolder: folder.file("cache"))
            #expect(volume.header.isBigEndian)
            #expect(volume.readAll() == values.map { Float($0 * 2 - 1) }, "\(type)")
        }
    }

    @Test func shortDataSectionIsReportedAsTruncated() throws {
        let folder = TemporaryFolder()
        let header = HandBuiltHeader(bigEndian: false, dims: [4, 4, 4], datatype: 4, bitpix: 16)
        NIfTITestBytes.writeFile(header.bytes + [UInt8](repeating: 0, count: 100), to: folder.file("t.nii"))
        let error = #expect(throws: InputError.self) {
            try NIfTIVolume(path: folder.file("t.nii"), cacheFolder: folder.file("cache"))
        }
        #expect(error?.file == folder.file("t.nii"))
        #expect(error?.problem.hasPrefix("truncated: ") == true)
    }

    @Test func shortDataInsideAValidGzipIsReportedAgainstTheGzipFile() throws {
        let folder = TemporaryFolder()
        let header = HandBuiltHeader(bigEndian: false, dims: [4, 4, 4], datatype: 4, bitpix: 16)
        let gzip = try GzipFileWriter(path: folder.file("t.nii.gz"))
        try gzip.write(header.bytes + [UInt8](repeating: 0, count: 100))
        try gzip.commit()
        let error = #expect(throws: InputError.self) {
            try NIfTIVolume(path: folder.file("t.nii.gz"), cacheFolder: folder.file("cache"))
        }
        #expect(error?.file == folder.file("t.nii.gz"))
        #expect(error?.problem.hasPrefix("truncated: ") == true)
    }

    @Test func cutShortGzipIsAnInputErrorNamingTheFile() throws {
        let folder = TemporaryFolder()
        let shape = VolumeShape(x: 16, y: 16, z: 8)
        try write(NIfTITestBytes.values(count: shape.elements, type: .float32), shape: shape, type: .float32, to: folder.file("c.nii.gz"))
        let whole = try Data(contentsOf: URL(fileURLWithPath: folder.file("c.nii.gz")))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: folder.file("c.nii.gz")))
        let error = #expect(throws: InputError.self) {
            try NIfTIVolume(path: folder.file("c.nii.gz"), cacheFolder: folder.file("cache"))
        }
        #expect(error?.file == folder.file("c.nii.gz"))
        #expect(error?.problem.contains("truncated gzip") == true)
        // Nothing half-written is left in the cache for a later open to trust.
        let cached = try FileManager.default.contentsOfDirectory(atPath: folder.file("cache/nifti"))
        #expect(!cached.contains { $0.hasSuffix(".nii") })
    }

    @Test func corruptGzipIsAnInputErrorNamingTheFile() throws {
        let folder = TemporaryFolder()
        let shape = VolumeShape(x: 16, y: 16, z: 8)
        try write(NIfTITestBytes.values(count: shape.elements, type: .float32), shape: shape, type: .float32, to: folder.file("d.nii.gz"))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.file("d.nii.gz"))))
        for i in stride(from: 20, to: bytes.count - 8, by: 7) { bytes[i] ^= 0x5A }
        NIfTITestBytes.writeFile(bytes, to: folder.file("d.nii.gz"))
        let error = #expect(throws: InputError.self) {
            try NIfTIVolume(path: folder.file("d.nii.gz"), cacheFolder: folder.file("cache"))
        }
        #expect(error?.file == folder.file("d.nii.gz"))
        #expect(error?.problem.contains("gzip") == true)
    }

    @Test func gzipIsDecompressedOnceIntoTheCache() throws {
        let folder = TemporaryFolder()
        let shape = VolumeShape(x: 5, y: 4, z: 3)
        let values = NIfTITestBytes.values(count: shape.elements, type: .uint8)
        try write(values, shape: shape, type: .uint8, to: folder.file("g.nii.gz"))
        let first = try NIfTIVolume(path: folder.file("g.nii.gz"), cacheFolder: folder.file("cache"))
        let second = try NIfTIVolume(path: folder.file("g.nii.gz"), cacheFolder: folder.file("cache"))
        #expect(first.mappedPath == second.mappedPath)
        #expect(first.mappedPath.hasPrefix(folder.file("cache/nifti/")))
        let copies = try FileManager.default.contentsOfDirectory(atPath: folder.file("cache/nifti")).filter { $0.hasSuffix(".nii") }
        #expect(copies.count == 1)
        #expect(second.readAll() == values.map { Float($0) })
    }

    @Test func concurrentOpensShareOneDecompressedCopy() throws {
        let folder = TemporaryFolder()
        let shape = VolumeShape(x: 32, y: 32, z: 16)
        let values = NIfTITestBytes.values(count: shape.elements, type: .int16)
        try write(values, shape: shape, type: .int16, to: folder.file("p.nii.gz"))
        let path = folder.file("p.nii.gz"), cache = folder.file("cache")
        let results = ConcurrentResults()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            results.add(Result { try NIfTIVolume(path: path, cacheFolder: cache) })
        }
        let volumes = try results.all.map { try $0.get() }
        #expect(volumes.count == 4)
        #expect(Set(volumes.map(\.mappedPath)).count == 1)
        for volume in volumes { #expect(volume.readAll() == values.map { Float($0) }) }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.file("cache/nifti")).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func missingFileIsAnInputError() throws {
        let folder = TemporaryFolder()
        let error = #expect(throws: InputError.self) {
            try NIfTIVolume(path: folder.file("none.nii"), cacheFolder: folder.file("cache"))
        }
        #expect(error?.file == folder.file("none.nii"))
    }
}

/// Collects results from concurrent work under a lock.
private final class ConcurrentResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<NIfTIVolume, any Error>] = []

    func add(_ result: Result<NIfTIVolume, any Error>) {
        lock.lock()
        results.append(result)
        lock.unlock()
    }

    var all: [Result<NIfTIVolume, any Error>] {
        lock.lock()
        defer { lock.unlock() }
        return results
    }
}
