import Foundation
@testable import PatchTrain
import Testing

/// A pack reads back what training would read from its source, chunk edges or not; it carries the layout's
/// labels, channels and geometry; a damaged pack is refused naming the case and the chunk.
struct PackTests {
    /// A one-hot `.npy` dataset of two shapes, packed with small chunks so that boxes cross chunk edges.
    static func packed(edge: Int = 8, in folder: TemporaryFolder) throws -> (source: Dataset, pack: Dataset) {
        let data = TinyDataset()
        for (i, shape) in [[20, 17, 13], [9, 24, 16]].enumerated() {
            try data.image("c\(i).npy", shape) { Float(($0 * 37 + i) % 101) / 7 - 5 }
            try data.oneHotMask("c\(i).npy", shape, classes: 3) { ($0 / 5 + i) % 3 }
        }
        let source = try Dataset(path: data.path)
        _ = try PackWriter.write(source, to: folder.file("d.ptpack"), settings: PackSettings(chunkEdge: edge))
        // The source folder goes when `data` does; the pack must not need it.
        let copy = folder.file("source")
        try FileManager.default.copyItem(atPath: data.path, toPath: copy)
        return (try Dataset(path: copy), try Dataset(path: folder.file("d.ptpack")))
    }

    @Test func boxesReadFromAPackAreTheSourcesFloat16ValuesAndClasses() throws {
        let folder = TemporaryFolder("patchtrain-pack")
        let (source, pack) = try Self.packed(in: folder)
        #expect(pack.layout == .pack(folder.file("d.ptpack")) && pack.classes == 3)
        let sourceCases = try source.openCases(), packCases = try pack.openCases()
        var generator = SeededGenerator(seed: 3)
        for (s, p) in zip(sourceCases, packCases) {
            #expect(p.image.shape == s.image.shape && p.image.elementType == .float16 && p.mask.shape.channels == 1)
            for _ in 0..<20 {
                let e = s.image.shape.spatial
                var box = Box3(origin: .zero, size: .zero)
                for a in 0..<3 {
                    box.origin[a] = Int.random(in: 0..<e[a], using: &generator)
                    box.size[a] = Int.random(in: 1...(e[a] - box.origin[a]), using: &generator)
                }
                var expected = [Float](repeating: 0, count: box.size.volume), got = expected
                s.image.read(box, into: &expected)
                p.image.read(box, into: &got)
                #expect(got == expected.map { Float(Float16($0)) }, "\(box)")
                var expectedLabels = [UInt8](repeating: 0, count: box.size.volume), gotLabels = expectedLabels
                s.mask.readLabels(box, into: &expectedLabels)
                p.mask.readLabels(box, into: &gotLabels)
                #expect(gotLabels == expectedLabels, "\(box)")
            }
            try p.image.checkUnchanged()
            let built = try ForegroundIndex.build(from: s.mask)
            let stored = try #require(try (p.mask as! PackedVolume).storedForegroundIndex(maximumPerClass: ForegroundIndex.defaultMaximumPerClass))
            #expect(stored == built)
        }
    }

    @Test func aPackKeepsTheLayoutsLabelsChannelsAndGeometry() throws {
        let folder = TemporaryFolder("patchtrain-pack-brats")
        try LayoutFixtures.brats(at: folder.file("BraTS"), cases: 2)
        let source = try Dataset(path: folder.file("BraTS"))
        _ = try PackWriter.write(source, to: folder.file("b.ptpack"))
        let pack = try Dataset(path: folder.file("b.ptpack"))
        #expect(pack.labelValues == [0, 1, 2, 4] && pack.channelNames == ["flair", "t1", "t1ce", "t2"] && pack.classes == 4)
        let opened = try pack.openCases()
        let header = try #require((opened[0].image as! PackedVolume).niftiHeader)
        #expect(header.srowX == LayoutFixtures.header.srowX && header.pixdim[1...3] == LayoutFixtures.header.pixdim[1...3])
        #expect(Set(opened[0].mask.readAll()) == [0, 1, 2, 3], "stored as classes; 4 comes back on output")
        // As the truth of `evaluate`, the pack's labels read in the stored values, like the files they came from.
        try FileManager.default.createDirectory(atPath: folder.file("pred"), withIntermediateDirectories: true)
        let seg = source.entries[1].maskPath
        try FileManager.default.copyItem(atPath: seg, toPath: folder.file("pred/\(source.entries[1].id).nii.gz"))
        let pairing = try EvaluationPairing(predictions: folder.file("pred"), truth: folder.file("b.ptpack"))
        #expect(pairing.labelValues == [0, 1, 2, 4] && pairing.pairs.map(\.id) == [source.entries[1].id])
        #expect(try pairing.openTruth(pairing.pairs[0]).readAll() == (try NIfTIVolume(path: seg)).readAll())
    }

    @Test func packedTrainingDrawsTheSamePatchesAsTheSource() throws {
        let folder = TemporaryFolder("patchtrain-pack-draws")
        let (source, pack) = try Self.packed(in: folder)
        let cache = try ForegroundIndexCache(folder: folder.file("cache"))
        let a = PatchSampler(cases: try source.openCases(), patch: Extent3(16, 16, 16), seed: 4, indexCache: cache, classes: 3)
        let b = PatchSampler(cases: try pack.openCases(), patch: Extent3(16, 16, 16), seed: 4, indexCache: cache, classes: 3)
        let pa = a.makePatch(), pb = b.makePatch()
        for _ in 0..<24 {
            try a.next(into: pa)
            try b.next(into: pb)
            #expect(pa.origin == pb.origin && Array(pa.image) == Array(pb.image) && Array(pa.labels) == Array(pb.labels))
        }
    }

    @Test func theCachesAndContextsAreWhatReadingCounts() throws {
        let folder = TemporaryFolder("patchtrain-pack-bytes")
        let (_, pack) = try Self.packed(edge: 16, in: folder)
        let archive = try #require(pack.pack)
        // Largest layer: 2×1 chunks (24×16 in y, z); two readers; one float16 channel per image voxel.
        #expect(archive.imageCache.slotCount == 4 && archive.imageCache.slotBytes == 16 * 16 * 16 * 2)
        #expect(archive.readingBytes == archive.imageCache.bytes + archive.labelCache.bytes + archive.table.count * 16)
        let decoder = ZstdChunkDecoder()
        var out = [UInt8](repeating: 0, count: 4096)
        let frame = try ZstdCodec.compress([UInt8](repeating: 3, count: 4096))
        _ = frame.withUnsafeBytes { f in out.withUnsafeMutableBytes { decoder.decompress(f, into: $0) } }
        #expect(decoder.measuredBytes <= ZstdChunkDecoder.contextBytes, "\(decoder.measuredBytes)")
    }

    @Test func aTruncatedPackIsRefusedNamingTheCaseAndTheChunk() throws {
        let folder = TemporaryFolder("patchtrain-pack-cut")
        _ = try Self.packed(in: folder)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: folder.file("d.ptpack"))))
        try Data(bytes.prefix(bytes.count * 2 / 3)).write(to: URL(fileURLWithPath: folder.file("cut.ptpack")))
        let error = #expect(throws: InputError.self) { try Dataset(path: folder.file("cut.ptpack")) }
        #expect(error?.file == folder.file("cut.ptpack"))
        #expect(error?.problem.hasPrefix("case '") == true && error?.problem.contains(" chunk ") == true, "\(String(describing: error))")
        #expect(error?.problem.contains("truncated") == true)
    }

    @Test func anIndexPointingPastTheEndIsRefusedNamingTheCaseAndTheChunk() throws {
        let folder = TemporaryFolder("patchtrain-pack-index")
        _ = try Self.packed(in: folder)
        var parts = try PackBytes(Array(try Data(contentsOf: URL(fileURLWithPath: folder.file("d.ptpack")))))
        parts.entries[5].offset = UInt64(parts.data.count)
        try Data(parts.assembled()).write(to: URL(fileURLWithPath: folder.file("bad.ptpack")))
        let error = #expect(throws: InputError.self) { try Dataset(path: folder.file("bad.ptpack")) }
        #expect(error?.problem.hasPrefix("case 'c0', image chunk 5 (x 0..<8, y 16..<17, z 8..<13)") == true, "\(String(describing: error))")
    }

    @Test func aChunkWhoseChecksumIsWrongStopsTheReaderNamingIt() throws {
        let folder = TemporaryFolder("patchtrain-pack-crc")
        _ = try Self.packed(in: folder)
        var parts = try PackBytes(Array(try Data(contentsOf: URL(fileURLWithPath: folder.file("d.ptpack")))))
        let start = Int(parts.entries[2].offset)
        parts.data[start + Int(parts.entries[2].length) / 2] ^= 0x5A
        try Data(parts.assembled()).write(to: URL(fileURLWithPath: folder.file("bad.ptpack")))
        let cases = try Dataset(path: folder.file("bad.ptpack")).openCases()
        _ = cases[0].image.readAll()
        let error = #expect(throws: InputError.self) { try cases[0].image.checkUnchanged() }
        #expect(error?.file == folder.file("bad.ptpack"))
        #expect(error?.problem == "case 'c0', image chunk 2 (x 0..<8, y 8..<16, z 0..<8): checksum mismatch (the chunk's bytes are damaged)",
                "\(String(describing: error))")
    }
}
