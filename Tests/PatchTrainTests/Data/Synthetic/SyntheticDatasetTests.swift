import Foundation
import Testing
@testable import PatchTrain

@Suite struct SyntheticDatasetTests {
    static let shape = Extent3(40, 36, 32)

    @Test func oneHotLayoutMatchesTheGeneratorVoxelForVoxel() throws {
        let folder = TemporaryFolder()
        let dataset = SyntheticDataset(folder: folder.file("data"), shape: Self.shape, seed: 3, caseCount: 2)
        try dataset.createFolders()
        let files = try dataset.writeCase(1)
        #expect(files.image == folder.file("data/images/case_001.npy"))
        #expect(files.mask == folder.file("data/masks/case_001.npy"))

        let expected = SyntheticBrain(shape: Self.shape, seed: 3, caseIndex: 1).generate()
        let image = try NPYVolume(path: files.image)
        #expect(image.header.elementType == .float32)
        #expect(image.header.shape == [40, 36, 32, 1])
        #expect(image.readAll().map(\.bitPattern) == expected.image.map(\.bitPattern))

        let mask = try NPYVolume(path: files.mask)
        #expect(mask.header.elementType == .float32)
        #expect(mask.header.shape == [40, 36, 32, 4])
        let oneHot = mask.readAll()
        var mismatches = 0
        for (voxel, label) in expected.labels.enumerated() {
            for c in 0..<4 where oneHot[voxel * 4 + c] != (c == Int(label) ? 1 : 0) { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test func labelLayoutWritesUInt8ClassIndices() throws {
        let folder = TemporaryFolder()
        let dataset = SyntheticDataset(folder: folder.path, shape: Self.shape, seed: 3, caseCount: 1, maskLayout: .labels)
        try dataset.createFolders()
        let files = try dataset.writeCase(0)
        #expect(files.mask == folder.file("labels/case_000.npy"))
        let labels = try NPYVolume(path: files.mask)
        #expect(labels.header.elementType == .uint8)
        #expect(labels.header.shape == [40, 36, 32])
        let expected = SyntheticBrain(shape: Self.shape, seed: 3, caseIndex: 0).generate().labels
        #expect(labels.readAll() == expected.map(Float.init))
    }

    @Test func writingTwiceGivesIdenticalFiles() throws {
        let folder = TemporaryFolder()
        var contents: [[UInt8]] = []
        for run in ["a", "b"] {
            let dataset = SyntheticDataset(folder: folder.file(run), shape: Self.shape, seed: 8, caseCount: 1)
            try dataset.createFolders()
            let files = try dataset.writeCase(0)
            for path in [files.image, files.mask] {
                let volume = try NPYVolume(path: path)
                contents.append(Array(volume.rawData))
            }
        }
        #expect(contents[0] == contents[2])
        #expect(contents[1] == contents[3])
    }

    @Test func writingSeveralCasesInFlightReturnsThemInOrder() throws {
        let folder = TemporaryFolder()
        let dataset = SyntheticDataset(folder: folder.path, shape: Self.shape, seed: 1, caseCount: 5, maskLayout: .labels)
        try dataset.createFolders()
        let reported = Counter()
        let files = try dataset.writeCases(0..<5, inFlight: 2) { _, _ in reported.increment() }
        #expect(files == (0..<5).map { dataset.files(ofCase: $0) })
        #expect(reported.value == 5)
        let third = try NPYVolume(path: files[3].mask)
        #expect(third.readAll() == SyntheticBrain(shape: Self.shape, seed: 1, caseIndex: 3).generate().labels.map(Float.init))
    }

    /// Counts callbacks that arrive from worker threads.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func increment() { lock.withLock { count += 1 } }
        var value: Int { lock.withLock { count } }
    }

    @Test func caseNamesWidenForLargeDatasets() {
        #expect(SyntheticDataset(folder: "d", shape: Self.shape, seed: 0, caseCount: 5).caseName(4) == "case_004")
        #expect(SyntheticDataset(folder: "d", shape: Self.shape, seed: 0, caseCount: 1500).caseName(7) == "case_0007")
    }

    @Test func aFileWhereTheFolderShouldBeIsBadInput() throws {
        let folder = TemporaryFolder()
        try AtomicFile.write([1, 2, 3], to: folder.file("taken"))
        let dataset = SyntheticDataset(folder: folder.file("taken"), shape: Self.shape, seed: 0, caseCount: 1)
        #expect(throws: InputError(folder.file("taken"), "exists and is not a folder")) { try dataset.createFolders() }
    }
}
