import Foundation
import Testing
@testable import PatchTrain

@Suite struct NPYUnsignedTypesTests {
    @Test func uint16AndUInt32RoundTripThroughNPY() throws {
        let folder = TemporaryFolder()
        try NPYWriter.write((0..<24).map { UInt16($0 * 2700) }, elementType: .uint16, shape: [4, 3, 2], to: folder.file("a.npy"))
        let a = try NPYVolume(path: folder.file("a.npy"))
        #expect(a.elementType == .uint16)
        #expect(a.readAll() == (0..<24).map { Float($0 * 2700) })
        #expect(NPYHeader.descr(for: .uint16) == "<u2")

        try NPYWriter.write((0..<24).map { UInt32($0) * 100_000 }, elementType: .uint32, shape: [2, 3, 4], to: folder.file("b.npy"))
        let b = try NPYVolume(path: folder.file("b.npy"))
        #expect(b.elementType == .uint32)
        #expect(b.readAll() == (0..<24).map { Float($0 * 100_000) })
        #expect(NPYHeader.descr(for: .uint32) == "<u4")
    }
}
