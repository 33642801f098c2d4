import Foundation
@testable import PatchTrain
import Testing

@Suite struct FolderListingTests {
    @Test func listsVisibleFilesInByteOrderWithoutSubFolders() throws {
        let scratch = TemporaryFolder()
        for name in ["b.npy", "B.npy", "a.nii.gz", ".hidden.npy"] {
            try Data().write(to: URL(fileURLWithPath: scratch.file(name)))
        }
        try FileManager.default.createDirectory(atPath: scratch.file("images"), withIntermediateDirectories: true)
        #expect(FolderListing.visibleNames(in: scratch.path) == ["B.npy", "a.nii.gz", "b.npy", "images"])
        #expect(FolderListing.files(in: scratch.path).map(\.name) == ["B.npy", "a.nii.gz", "b.npy"])
        #expect(FolderListing.files(in: scratch.path).first?.path == scratch.file("B.npy"))
        #expect(FolderListing.visibleNames(in: scratch.file("missing")).isEmpty)
    }
}
