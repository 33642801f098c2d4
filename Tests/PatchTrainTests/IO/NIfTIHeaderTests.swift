import Foundation
import Testing
@testable import PatchTrain

@Suite struct NIfTIHeaderTests {
    private func parse(_ bytes: [UInt8], file: String = "x.nii") throws -> NIfTIHeader {
        try bytes.withUnsafeBytes { try NIfTIHeader(parsing: $0, file: file) }
    }

    @Test func badHeaderSizeIsAnInputErrorNamingTheFile() throws {
        var header = HandBuiltHeader(bigEndian: false, dims: [4, 4, 4], datatype: 2, bitpix: 8)
        header.putInt32(540, at: 0)
        let error = #expect(throws: InputError.self) { try parse(header.bytes, file: "scan.nii") }
        #expect(error?.file == "scan.nii")
        #expect(error?.problem == "bad NIfTI header size 540 (expected 348)")
    }

    @Test func headerPairMagicIsRefusedClearly() throws {
        var header = HandBuiltHeader(bigEndian: false, dims: [4, 4, 4], datatype: 2, bitpix: 8)
        for (i, b) in "ni1\0".utf8.enumerated() { header.bytes[344 + i] = b }
        let error = #expect(throws: InputError.self) { try parse(header.bytes) }
        #expect(error?.problem.contains("ni1") == true)
    }

    @Test func unsupportedDatatypeIsRefusedByName() throws {
        let header = HandBuiltHeader(bigEndian: false, dims: [4, 4, 4], datatype: 32, bitpix: 64)
        let error = #expect(throws: InputError.self) { try parse(header.bytes) }
        #expect(error?.problem.contains("complex64") == true)
    }

    @Test func bothByteOrdersParseToTheSameFields() throws {
        for bigEndian in [false, true] {
            var hand = HandBuiltHeader(bigEndian: bigEndian, dims: [7, 6, 5, 2], datatype: 512, bitpix: 16)
            hand.putFloat(0.5, at: 112)
            hand.putFloat(-2, at: 116)
            let header = try parse(hand.bytes)
            #expect(header.isBigEndian == bigEndian)
            #expect(header.dim == [4, 7, 6, 5, 2, 1, 1, 1])
            #expect(header.elementType == .uint16)
            #expect(try header.volumeShape(file: "x") == VolumeShape(x: 7, y: 6, z: 5, channels: 2))
            #expect(header.scaling?.slope == 0.5 && header.scaling?.intercept == -2)
        }
    }

    @Test func zeroOrNaNSlopeMeansNoScaling() throws {
        for slope: Float in [0, .nan] {
            var hand = HandBuiltHeader(bigEndian: false, dims: [2, 2, 2], datatype: 4, bitpix: 16)
            hand.putFloat(slope, at: 112)
            hand.putFloat(7, at: 116)
            #expect(try parse(hand.bytes).scaling == nil)
        }
    }

    @Test func sformWinsWhenItsCodeIsSet() throws {
        var header = NIfTIHeader(shape: VolumeShape(x: 2, y: 2, z: 2), elementType: .float32)
        header.qformCode = 1
        header.quaternD = 1  // 180° about z, which must be ignored here
        header.sformCode = 1
        header.srowX = [0, 2, 0, 10]
        header.srowY = [-3, 0, 0, 20]
        header.srowZ = [0, 0, 4, 30]
        let parsed = try parse(header.encoded())
        #expect(parsed.affine == AffineMatrix(rows: [[0, 2, 0, 10], [-3, 0, 0, 20], [0, 0, 4, 30], [0, 0, 0, 1]]))
    }

    @Test func qformFollowsTheStandardsQuaternionFormula() throws {
        // 90° about z: (a, b, c, d) = (cos 45°, 0, 0, sin 45°); voxel sizes 2, 3, 4; qfac −1 flips the third axis.
        var header = NIfTIHeader(shape: VolumeShape(x: 2, y: 2, z: 2), elementType: .int16)
        header.qformCode = 1
        header.quaternD = Float(0.5.squareRoot())
        header.pixdim[0] = -1
        header.pixdim[1] = 2
        header.pixdim[2] = 3
        header.pixdim[3] = 4
        header.qoffsetX = 1
        header.qoffsetY = 2
        header.qoffsetZ = 3
        let parsed = try parse(header.encoded())
        let expected = AffineMatrix(rows: [[0, -3, 0, 1], [2, 0, 0, 2], [0, 0, -4, 3], [0, 0, 0, 1]])
        #expect(parsed.affine.isClose(to: expected), "\(parsed.affine)")
    }

    @Test func withoutCodesTheAffineScalesByVoxelSize() throws {
        var header = NIfTIHeader(shape: VolumeShape(x: 2, y: 2, z: 2), elementType: .uint8)
        header.pixdim[1] = 0.5
        header.pixdim[2] = 0.75
        header.pixdim[3] = 3
        let parsed = try parse(header.encoded())
        #expect(parsed.affine == AffineMatrix(rows: [[0.5, 0, 0, 0], [0, 0.75, 0, 0], [0, 0, 3, 0], [0, 0, 0, 1]]))
    }

    @Test func fifthDimensionLargerThanOneIsRefused() throws {
        let hand = HandBuiltHeader(bigEndian: false, dims: [3, 3, 3, 1, 2], datatype: 2, bitpix: 8)
        let header = try parse(hand.bytes)
        #expect(throws: InputError.self) { try header.volumeShape(file: "x.nii") }
    }
}
