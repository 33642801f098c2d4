import Foundation
import Testing
@testable import PatchTrain

@Suite struct NIfTIWriterTests {
    /// A reference header with an oblique qform and a different sform, both of which must survive.
    private func referenceHeader() -> NIfTIHeader {
        var header = NIfTIHeader(shape: VolumeShape(x: 4, y: 3, z: 2), elementType: .int16)
        header.pixdim[0] = -1
        header.pixdim[1] = 1.5
        header.pixdim[2] = 2
        header.pixdim[3] = 2.5
        header.xyztUnits = 2  // millimetres
        header.qformCode = 1
        header.quaternB = 0.1
        header.quaternC = -0.2
        header.quaternD = 0.3
        header.qoffsetX = -90
        header.qoffsetY = 126
        header.qoffsetZ = -72
        header.sformCode = 4
        header.srowX = [1.4, 0.1, 0, -88]
        header.srowY = [0.2, 1.9, 0.1, 120]
        header.srowZ = [0, -0.1, 2.4, -70]
        header.sclSlope = 3  // must not leak into a label map
        return header
    }

    @Test(arguments: ["labels.nii", "labels.nii.gz"])
    func labelMapKeepsTheReferenceGeometry(name: String) throws {
        let folder = TemporaryFolder()
        let reference = referenceHeader()
        let shape = Extent3(4, 3, 2)
        let labels = (0..<shape.volume).map { UInt8($0 % 4) }
        try NIfTIWriter.writeLabels(labels, shape: shape, like: reference, to: folder.file(name))
        let volume = try NIfTIVolume(path: folder.file(name), cacheFolder: folder.file("cache"))
        #expect(volume.elementType == .uint8)
        #expect(volume.header.sclSlope == 0)
        #expect(volume.shape == VolumeShape(x: 4, y: 3, z: 2))
        #expect(volume.affine == reference.affine)
        #expect(volume.header.qformAffine == reference.qformAffine)
        #expect(volume.header.qformCode == 1 && volume.header.sformCode == 4)
        #expect(Array(volume.header.pixdim[0...3]) == [-1, 1.5, 2, 2.5])
        #expect(volume.header.xyztUnits == 2)
        #expect(volume.readAll() == labels.map { Float($0) })
        var classes = [UInt8](repeating: 9, count: labels.count)
        classes.withUnsafeMutableBufferPointer { volume.readLabels(Box3(origin: .zero, size: shape), into: $0.baseAddress!) }
        #expect(classes == labels)
    }

    @Test(arguments: ["p.nii", "p.nii.gz"])
    func probabilitiesRoundTripWithChannelsOnTheFourthAxis(name: String) throws {
        let folder = TemporaryFolder()
        let shape = VolumeShape(x: 5, y: 3, z: 2, channels: 3)
        let values = (0..<shape.elements).map { Float($0) / Float(shape.elements) }
        try NIfTIWriter.writeFloats(values, shape: shape, like: referenceHeader(), to: folder.file(name))
        let volume = try NIfTIVolume(path: folder.file(name), cacheFolder: folder.file("cache"))
        #expect(volume.header.dim[0] == 4 && volume.header.dim[4] == 3)
        #expect(volume.elementType == .float32)
        #expect(volume.affine == referenceHeader().affine)
        #expect(volume.readAll() == values)
    }

    @Test func withoutAReferenceTheVolumeHasUnitVoxels() throws {
        let folder = TemporaryFolder()
        try NIfTIWriter.writeLabels([1, 2, 3, 4, 5, 6, 7, 8], shape: Extent3(2, 2, 2), like: nil, to: folder.file("u.nii"))
        let volume = try NIfTIVolume(path: folder.file("u.nii"), cacheFolder: folder.file("cache"))
        #expect(volume.affine == .identity)
        #expect(volume.readAll() == [1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func aShortStreamLeavesNoFile() throws {
        let folder = TemporaryFolder()
        let writer = try NIfTIWriter(path: folder.file("short.nii.gz"), header: NIfTIHeader(shape: VolumeShape(x: 2, y: 2, z: 2), elementType: .uint8))
        try [UInt8](repeating: 1, count: 3).withUnsafeBytes { try writer.append(raw: $0) }
        #expect(throws: RuntimeFailure.self) { try writer.finish() }
        #expect(!FileManager.default.fileExists(atPath: folder.file("short.nii.gz")))
    }
}
