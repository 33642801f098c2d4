import Foundation
import Testing
@testable import PatchTrain

@Suite struct NPYTests {
    @Test func float32RoundTripReadsBackEveryVoxel() throws {
        let folder = TemporaryFolder()
        let shape = [5, 4, 3, 2]
        let values = (0..<120).map { Float($0) * 0.5 - 7 }
        try NPYWriter.write(values, elementType: .float32, shape: shape, to: folder.file("a.npy"))
        let volume = try NPYVolume(path: folder.file("a.npy"))
        #expect(volume.shape == VolumeShape(x: 5, y: 4, z: 3, channels: 2))
        #expect(volume.readAll() == values)
    }
}
