import Foundation
import Testing
@testable import PatchTrain

/// Checks the reader against nibabel: `Fixtures/nifti/make_fixtures.py` wrote the files and recorded in
/// `expected.json` the values (scaling applied) and affines nibabel reads back from them.
@Suite struct NIfTIReferenceTests {
    struct Expected: Decodable {
        let name: String
        let datatype: String
        let big_endian: Bool
        let shape: [Int]
        let values: [Double]
        let qform_code: Int
        let sform_code: Int
        let affine: [[Double]]
        let qform: [[Double]]
    }

    struct ExpectedFile: Decodable {
        let files: [Expected]
    }

    static let folder = NIfTITestBytes.repositoryRoot().appendingPathComponent("Fixtures/nifti")

    static func expectations() throws -> [Expected] {
        let data = try Data(contentsOf: folder.appendingPathComponent("expected.json"))
        return try JSONDecoder().decode(ExpectedFile.self, from: data).files
    }

    @Test func fixturesMatchNibabel() throws {
        let cache = TemporaryFolder()
        let all = try NIfTIReferenceTests.expectations()
        #expect(all.count == 4)
        for expected in all {
            let path = NIfTIReferenceTests.folder.appendingPathComponent(expected.name).path
            let volume = try NIfTIVolume(path: path, cacheFolder: cache.path)
            let s = expected.shape
            #expect(volume.shape == VolumeShape(x: s[0], y: s[1], z: s[2], channels: s[3]), "\(expected.name)")
            #expect(volume.elementType.rawValue == expected.datatype, "\(expected.name)")
            #expect(volume.header.isBigEndian == expected.big_endian, "\(expected.name)")
            #expect(volume.header.qformCode == expected.qform_code && volume.header.sformCode == expected.sform_code)
            let read = volume.readAll()
            #expect(read.count == expected.values.count)
            let worst = finiteMaximum(zip(read, expected.values).map { abs(Double($0) - $1) / max(1, abs($1)) })
            #expect(worst < 1e-6, "\(expected.name): largest relative difference \(worst)")
            #expect(volume.affine.isClose(to: AffineMatrix(rows: expected.affine)), "\(expected.name):\n\(volume.affine)")
            if expected.qform_code > 0 {
                #expect(volume.header.qformAffine.isClose(to: AffineMatrix(rows: expected.qform)), "\(expected.name) qform")
            }
        }
    }

    @Test func labelsWrittenLikeAFixtureKeepItsAffine() throws {
        let scratch = TemporaryFolder()
        for expected in try NIfTIReferenceTests.expectations() {
            let source = try NIfTIVolume(path: NIfTIReferenceTests.folder.appendingPathComponent(expected.name).path, cacheFolder: scratch.path)
            let shape = source.shape.spatial
            let labels = (0..<shape.volume).map { UInt8($0 % 3) }
            let out = scratch.file("labels-\(expected.name)")
            try NIfTIWriter.writeLabels(labels, shape: shape, like: source.header, to: out)
            let written = try NIfTIVolume(path: out, cacheFolder: scratch.path)
            #expect(written.affine.isClose(to: AffineMatrix(rows: expected.affine), tolerance: 1e-9), "\(expected.name)")
            #expect(written.header.qformCode == expected.qform_code && written.header.sformCode == expected.sform_code)
            #expect(written.readAll() == labels.map { Float($0) })
        }
    }
}
