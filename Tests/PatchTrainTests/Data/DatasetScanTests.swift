import Foundation
import Testing
@testable import PatchTrain

@Suite struct DatasetScanTests {
    /// A hand-counted dataset: 2x2x2 volumes, classes known voxel by voxel.
    @Test func classFractionsAndIntensityAreExact() throws {
        let data = TinyDataset()
        // Case a: one-hot, labels 0 0 0 0 1 1 1 2 → counts [4, 3, 1]. Image 0...7.
        try data.image("a.npy", [2, 2, 2]) { Float($0) }
        let labelsA = [0, 0, 0, 0, 1, 1, 1, 2]
        try data.oneHotMask("a.npy", [2, 2, 2], classes: 3) { labelsA[$0] }
        // Case b: label map, all 2 → counts [0, 0, 8]. Image constant -1.5.
        try data.image("b.npy", [2, 2, 2]) { _ in -1.5 }
        try data.labelMask("b.npy", [2, 2, 2]) { _ in 2 }

        let check = try Dataset(path: data.path).check()
        #expect(check.problems.isEmpty)
        #expect(check.classes == 3)
        let scan = DatasetScan(check.cases.map(\.trainingCase), classes: check.classes)
        #expect(scan.problems.isEmpty)
        #expect(scan.classes == 3)
        #expect(scan.cases[0].classVoxels == [4, 3, 1])
        #expect(scan.cases[0].classFractions(classes: 3) == [0.5, 0.375, 0.125])
        #expect(scan.cases[1].classVoxels == [0, 0, 8])
        #expect(scan.classVoxels == [4, 3, 9])
        #expect(scan.classFractions == [0.25, 0.1875, 0.5625])
        #expect(scan.cases[0].imageMinimum == 0)
        #expect(scan.cases[0].imageMaximum == 7)
        #expect(scan.cases[0].imageMean == 3.5)
        #expect(scan.cases[1].imageMean == -1.5)
    }

    @Test func labelMapsWithoutClassCountUseLargestLabel() throws {
        let data = TinyDataset()
        try data.image("a.npy", [3, 2, 2])
        try data.labelMask("a.npy", [3, 2, 2]) { $0 == 0 ? 4 : 0 }
        let check = try Dataset(path: data.path).check()
        #expect(check.classes == nil)
        let scan = DatasetScan(check.cases.map(\.trainingCase), classes: nil)
        #expect(scan.classes == 5)
        #expect(scan.classVoxels == [11, 0, 0, 0, 1])
    }

    @Test func contentProblemsNameTheirFiles() throws {
        let data = TinyDataset()
        let image = try data.image("a.npy", [2, 2, 2]) { $0 == 3 ? .nan : 0 }
        // A float label map with a fractional label at voxel 6.
        let mask = data.folder.file("masks/a.npy")
        try NPYWriter.write((0..<8).map { $0 == 6 ? Float(0.5) : 1 }, elementType: .float32, shape: [2, 2, 2], to: mask)
        let cases = try Dataset(path: data.path, classes: 2).openCases()
        let scan = DatasetScan(cases, classes: 2)
        #expect(scan.problems.map(\.file) == [image, mask])
        #expect(scan.cases[0].nonFiniteValues == 1)
        #expect(scan.cases[0].invalidMaskVoxels == 1)
        #expect(scan.cases[0].imageMean == 0)
        #expect(scan.problems[1].problem.contains("label 0.5"))
    }

    @Test func parallelScanMatchesSequentialAndReportsProgress() throws {
        let data = TinyDataset()
        for i in 0..<7 {
            try data.image("c\(i).npy", [5, 4, 3]) { Float($0 * (i + 1)) }
            try data.oneHotMask("c\(i).npy", [5, 4, 3], classes: 4) { ($0 + i) % 4 }
        }
        let cases = try Dataset(path: data.path).openCases()
        let seen = ProgressLog()
        let parallel = DatasetScan(cases, classes: 4, concurrency: 2) { done, total, id in seen.add(done, total, id) }
        let sequential = DatasetScan(cases, classes: 4, concurrency: 1)
        #expect(parallel.cases.map(\.classVoxels) == sequential.cases.map(\.classVoxels))
        #expect(parallel.cases.map(\.imageMean) == sequential.cases.map(\.imageMean))
        #expect(parallel.cases.map(\.id) == cases.map(\.id))
        let calls = seen.calls
        #expect(calls.map(\.done) == Array(1...7))
        #expect(calls.allSatisfy { $0.total == 7 })
        #expect(Set(calls.map(\.id)) == Set(cases.map(\.id)))
    }
}

/// Collects progress calls from the scan's worker threads.
private final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var log: [(done: Int, total: Int, id: String)] = []
    func add(_ done: Int, _ total: Int, _ id: String) {
        lock.lock()
        log.append((done, total, id))
        lock.unlock()
    }
    var calls: [(done: Int, total: Int, id: String)] {
        lock.lock()
        defer { lock.unlock() }
        return log
    }
}
