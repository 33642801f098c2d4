import Foundation
import Testing
@testable import PatchTrain

@Suite struct DatasetTests {
    @Test func pairsImagesAndMasksByStem() throws {
        let data = TinyDataset()
        for id in ["case_b", "case_a", "case_c"] { try data.goodCase(id) }
        let dataset = try Dataset(path: data.path)
        #expect(dataset.entries.map(\.id) == ["case_a", "case_b", "case_c"])
        #expect(dataset.entries[1].imagePath == data.folder.file("images/case_b.npy"))
        #expect(dataset.entries[1].maskPath == data.folder.file("masks/case_b.npy"))
        #expect(dataset.listingProblems.isEmpty)
        #expect(dataset.layout == .folders(images: data.folder.file("images"), masks: data.folder.file("masks")))
        let cases = try dataset.openCases()
        #expect(cases.map(\.id) == ["case_a", "case_b", "case_c"])
        #expect(cases[0].mask.shape == VolumeShape(x: 4, y: 3, z: 2, channels: 3))
    }

    @Test func labelsFolderWorksLikeMasks() throws {
        let data = TinyDataset(imagesAndMasks: false)
        try FileManager.default.createDirectory(atPath: data.folder.file("images"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: data.folder.file("labels"), withIntermediateDirectories: true)
        try data.image("a.npy", [4, 3, 2])
        try NPYWriter.write([UInt8](repeating: 1, count: 24), elementType: .uint8, shape: [4, 3, 2], to: data.folder.file("labels/a.npy"))
        let dataset = try Dataset(path: data.path + "/")
        #expect(dataset.entries.map(\.maskPath) == [data.folder.file("labels/a.npy")])
    }

    @Test func unpairedAndStrayFilesAreProblemsNamingThem() throws {
        let data = TinyDataset()
        try data.goodCase("a")
        try data.image("b.npy", [4, 3, 2])
        try data.oneHotMask("c.npy", [4, 3, 2], classes: 3)
        data.raw("images/readme.txt", Array("x".utf8))
        data.raw("images/.DS_Store", [0])
        let dataset = try Dataset(path: data.path)
        #expect(dataset.entries.map(\.id) == ["a"])
        let files = Set(dataset.listingProblems.map(\.file))
        #expect(files == [data.folder.file("images/b.npy"), data.folder.file("masks/c.npy"), data.folder.file("images/readme.txt")])
        #expect(throws: InputError.self) { try dataset.openCases() }
    }

    @Test func layoutErrorsAreThrownNamingTheFolder() throws {
        let empty = TinyDataset(imagesAndMasks: false)
        #expect(throws: InputError(empty.path, "empty folder (\(DatasetListing.expectedLayout))")) {
            try Dataset(path: empty.path)
        }
        let noMasks = TinyDataset(imagesAndMasks: false)
        try FileManager.default.createDirectory(atPath: noMasks.folder.file("images"), withIntermediateDirectories: true)
        try noMasks.image("a.npy", [2, 2, 2])
        let error = #expect(throws: InputError.self) { try Dataset(path: noMasks.path) }
        #expect(error?.file == noMasks.path)
        #expect(error?.problem.contains("no masks/") == true)
        #expect(throws: InputError.self) { try Dataset(path: noMasks.folder.file("missing")) }
    }

    @Test func manifestListsPairsAndValidation() throws {
        let data = TinyDataset()
        for id in ["x", "y", "z"] { try data.goodCase(id) }
        let manifest = """
            { "classes": 3,
              "cases": [
                { "id": "first", "image": "images/z.npy", "mask": "masks/z.npy" },
                { "image": "images/x.npy", "mask": "masks/x.npy" },
                { "id": "third", "image": "images/y.npy", "mask": "masks/y.npy" } ],
              "validation": ["third"] }
            """
        data.raw("manifest.json", Array(manifest.utf8))
        let dataset = try Dataset(path: data.path)
        #expect(dataset.layout == .manifest(data.folder.file("manifest.json")))
        #expect(dataset.entries.map(\.id) == ["first", "x", "third"])  // the manifest's order
        #expect(dataset.entries[0].imagePath == data.folder.file("images/z.npy"))
        #expect(dataset.classes == 3)
        #expect(dataset.validationEntries.map(\.id) == ["third"])
        let split = try dataset.openSplit()
        #expect(split.training.map(\.id) == ["first", "x"])
        #expect(split.validation.map(\.id) == ["third"])

        // Named directly, and an explicit split replaces the manifest's list.
        let direct = try Dataset(path: data.folder.file("manifest.json"), split: .count(1))
        #expect(direct.validationEntries.map(\.id) == ["third"])  // sorted: first, third, x → index 1
    }

    @Test func manifestDefectsNameTheManifest() throws {
        let data = TinyDataset()
        try data.goodCase("a")
        let path = data.raw("manifest.json", Array(#"{"cases": [{"image": "images/a.npy"}]}"#.utf8))
        let error = #expect(throws: InputError.self) { try Dataset(path: data.path) }
        #expect(error?.file == path)
        #expect(error?.problem == "malformed manifest (missing 'mask' in cases[0])")

        data.raw("manifest.json", Array(#"{"cases": [{"image": "images/a.npy", "mask": "masks/a.npy"}], "validation": ["nope"]}"#.utf8))
        let dataset = try Dataset(path: data.path)
        #expect(dataset.listingProblems == [InputError(path, "validation names unknown case 'nope'")])

        data.raw("manifest.json", Array("{not json".utf8))
        #expect(throws: InputError(path, "malformed manifest (not valid JSON)")) { try Dataset(path: data.path) }
    }

    @Test func validationSplitIsDeterministicAndSpread() throws {
        let ids = (0..<10).map { "case_\($0)" }.shuffled()
        #expect(try ValidationSplit.count(2).validationIDs(from: ids, folder: "d") == ["case_2", "case_7"])
        #expect(try ValidationSplit.fraction(0.3).validationIDs(from: ids, folder: "d") == ["case_1", "case_5", "case_8"])
        #expect(try ValidationSplit.fraction(0.01).validationIDs(from: ids, folder: "d").count == 1)
        #expect(try ValidationSplit.none.validationIDs(from: ids, folder: "d").isEmpty)
        #expect(throws: InputError.self) { try ValidationSplit.count(10).validationIDs(from: ids, folder: "d") }
        #expect(ValidationSplit(parsing: "3") == .count(3))
        #expect(ValidationSplit(parsing: "0.25") == .fraction(0.25))
        #expect(ValidationSplit(parsing: "20%") == .fraction(0.2))
        #expect(ValidationSplit(parsing: "-1") == nil)
        #expect(ValidationSplit(parsing: "1.5") == nil)
    }

    @Test func headerCheckFindsChannelAndClassMismatches() throws {
        let data = TinyDataset()
        try data.goodCase("a")
        try data.goodCase("b")
        try data.image("c.npy", [4, 3, 2])
        let odd = try data.oneHotMask("c.npy", [4, 3, 2], classes: 4)
        let check = try Dataset(path: data.path).check()
        #expect(check.classes == 3)  // the majority of the one-hot masks
        #expect(check.cases.map(\.id) == ["a", "b"])
        #expect(check.problems == [InputError(odd, "one-hot mask has 4 channels; the other masks have 3")])

        let given = try Dataset(path: data.path, classes: 4).check()
        #expect(given.cases.map(\.id) == ["c"])
        #expect(given.problems.count == 2)
    }

    @Test func volumeOpenerChoosesByExtension() throws {
        #expect(VolumeFormat(path: "a/b.NII.GZ") == .niftiGzip)
        #expect(VolumeFormat(path: "b.nii") == .nifti)
        #expect(VolumeFormat(path: "b.npz") == nil)
        #expect(VolumeFormat.stem(of: "case_1.nii.gz") == "case_1")
        #expect(VolumeFormat.stem(of: ".npy") == nil)
        #expect(throws: InputError.self) { try VolumeOpener.open("x.mha") }
        let data = TinyDataset()
        let path = try data.image("a.npy", [2, 2, 2])
        #expect(try VolumeOpener.open(path).shape == VolumeShape(x: 2, y: 2, z: 2))
    }
}
