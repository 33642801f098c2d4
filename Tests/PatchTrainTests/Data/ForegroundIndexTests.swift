import Foundation
import Testing
@testable import PatchTrain

@Suite struct ForegroundIndexTests {
    private func tumourCase(_ folder: TemporaryFolder, labelMap: Bool = false) throws -> TrainingCase {
        try TrainingFixtures.writeCase(
            in: folder, name: labelMap ? "labels" : "onehot", extent: Extent3(20, 18, 16),
            tumours: [
                .init(label: 1, box: Box3(origin: Extent3(2, 3, 4), size: Extent3(5, 5, 4))),  // 100 voxels
                .init(label: 3, box: Box3(origin: Extent3(19, 17, 15), size: Extent3(1, 1, 1))),
            ],
            labelMap: labelMap)
    }

    @Test func indexListsEveryClassVoxelUnderTheCap() throws {
        let folder = TemporaryFolder()
        let mask = try tumourCase(folder).mask
        let index = try ForegroundIndex.build(from: mask)
        #expect(index.classCount == 4)
        #expect(index.voxelCounts == [100, 0, 1])
        #expect(index.presentClasses == [1, 3])
        #expect(index.locations(ofClass: 1).count == 100)
        #expect(index.locations(ofClass: 3).map(index.voxel) == [Extent3(19, 17, 15)])
        for location in index.locations(ofClass: 1) {
            let v = index.voxel(location)
            #expect((2..<7).contains(v.x) && (3..<8).contains(v.y) && (4..<8).contains(v.z))
        }
    }

    @Test func capKeepsAnEvenlySpreadSubset() throws {
        let folder = TemporaryFolder()
        let mask = try tumourCase(folder).mask
        let full = try ForegroundIndex.build(from: mask).locations(ofClass: 1)
        let thinned = try ForegroundIndex.build(from: mask, maximumPerClass: 16)
        let kept = thinned.locations(ofClass: 1)
        #expect(thinned.voxelCounts[0] == 100)
        // Power-of-two stride 8: voxels 0, 8, ..., 96 of the class in C order.
        #expect(kept == Swift.stride(from: 0, to: 100, by: 8).map { full[$0] })
    }

    @Test func labelMapAndOneHotGiveTheSameLocations() throws {
        let folder = TemporaryFolder()
        let oneHot = try ForegroundIndex.build(from: try tumourCase(folder).mask)
        let labels = try ForegroundIndex.build(from: try tumourCase(folder, labelMap: true).mask)
        #expect(labels.classCount == 4)  // largest label 3
        #expect(labels.locations == oneHot.locations)
    }

    @Test func encodingRoundTrips() throws {
        let folder = TemporaryFolder()
        let index = try ForegroundIndex.build(from: try tumourCase(folder).mask)
        #expect(try ForegroundIndex(decoding: index.encoded(), source: "x") == index)
    }

    @Test func cacheHitGivesTheSameIndex() throws {
        let folder = TemporaryFolder()
        let mask = try tumourCase(folder).mask
        let cache = try ForegroundIndexCache(folder: folder.file("cache"))
        let first = try cache.lookup(mask)
        #expect(first.source == .computed)
        let path = try #require(cache.entryPath(for: mask))
        #expect(FileManager.default.fileExists(atPath: path))
        let second = try cache.lookup(mask)
        #expect(second.source == .cache)
        #expect(second.index == first.index)
        // A cache made with another cap does not trust this entry.
        let otherCap = try ForegroundIndexCache(folder: folder.file("cache"), maximumPerClass: 16)
        #expect(try otherCap.lookup(mask).source == .computed)
    }

    @Test(arguments: ["truncated", "garbage", "flipped byte", "empty", "valid zstd, wrong content"])
    func corruptCacheEntryIsRecomputed(damage: String) throws {
        let folder = TemporaryFolder()
        let mask = try tumourCase(folder).mask
        let cache = try ForegroundIndexCache(folder: folder.file("cache"))
        let original = try cache.index(for: mask)
        let path = try #require(cache.entryPath(for: mask))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        switch damage {
        case "truncated": bytes.removeLast(bytes.count / 2)
        case "garbage": bytes = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        case "flipped byte": bytes[bytes.count / 2] ^= 0x5A
        case "empty": bytes = []
        default:
            var payload = original.encoded()
            payload[payload.count / 2] ^= 1  // intact frame, failing checksum
            bytes = try ZstdCodec.compress(payload)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let lookup = try cache.lookup(mask)
        #expect(lookup.source == .computed)
        #expect(lookup.index == original)
        // ... and the entry was rewritten whole.
        #expect(try cache.lookup(mask).source == .cache)
    }

    @Test func changedMaskIsNotServedFromTheOldEntry() throws {
        let folder = TemporaryFolder()
        let cache = try ForegroundIndexCache(folder: folder.file("cache"))
        let before = try cache.index(for: try tumourCase(folder).mask)
        // Rewrite the mask at the same path with a different tumour (new size and mtime: a new key).
        Thread.sleep(forTimeInterval: 0.01)
        let changed = try TrainingFixtures.writeCase(
            in: folder, name: "onehot", extent: Extent3(20, 18, 17),
            tumours: [.init(label: 2, box: Box3(origin: Extent3(1, 1, 1), size: Extent3(2, 2, 2)))])
        let after = try cache.lookup(changed.mask)
        #expect(after.source == .computed)
        #expect(after.index != before)
        #expect(after.index.presentClasses == [2])
    }
}
