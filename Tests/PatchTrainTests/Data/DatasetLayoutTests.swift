import Foundation
@testable import PatchTrain
import Testing

/// The layouts users hold are detected from their contents and read as the network takes them: channels from
/// one file per channel or the 4th NIfTI dimension, non-contiguous labels renumbered.
struct DatasetLayoutTests {
    @Test func nnUNetRawStacksOneFilePerChannel() throws {
        let folder = TemporaryFolder("patchtrain-nnunet")
        try LayoutFixtures.nnUNet(at: folder.path)
        let dataset = try Dataset(path: folder.path)
        #expect(dataset.layout == .nnUNet(folder.file("dataset.json")))
        #expect(dataset.channelNames == ["T2", "ADC"])
        #expect(dataset.labelValues == [0, 1, 2] && dataset.classes == 3)
        #expect(dataset.entries.map(\.id) == ["case_000", "case_001", "case_002"])
        #expect(dataset.entries[0].imagePaths == [folder.file("imagesTr/case_000_0000.nii.gz"), folder.file("imagesTr/case_000_0001.nii.gz")])
        let cases = try dataset.openCases()
        #expect(cases[0].image.shape == VolumeShape(x: 32, y: 32, z: 32, channels: 2))
        // Channel 1 of the stack is the _0001 file, voxel for voxel.
        let stacked = cases[1].image.readAll()
        let second = try NIfTIVolume(path: folder.file("imagesTr/case_001_0001.nii.gz")).readAll()
        #expect((0..<second.count).allSatisfy { stacked[2 * $0 + 1] == second[$0] })
    }

    @Test func decathlonReadsChannelsFromTheFourthDimensionAndMixedShapes() throws {
        let folder = TemporaryFolder("patchtrain-msd")
        try LayoutFixtures.decathlon(at: folder.path)
        let dataset = try Dataset(path: folder.path)
        #expect(dataset.layout == .decathlon(folder.file("dataset.json")))
        #expect(dataset.labelValues == [0, 1, 2])
        let cases = try dataset.openCases()
        #expect(cases.map(\.image.shape.spatial) == LayoutFixtures.decathlonShapes)
        #expect(cases.allSatisfy { $0.image.shape.channels == 2 })
    }

    @Test func bratsFoldersStackFourModalitiesAndRenumberLabelFour() throws {
        let folder = TemporaryFolder("patchtrain-brats")
        try LayoutFixtures.brats(at: folder.path)
        let dataset = try Dataset(path: folder.path)
        #expect(dataset.layout == .brats(folder.path))
        #expect(dataset.labelValues == [0, 1, 2, 4] && dataset.classes == 4)
        let cases = try dataset.openCases()
        #expect(cases[0].image.shape.channels == 4)
        let stored = try NIfTIVolume(path: dataset.entries[0].maskPath).readAll()
        let read = cases[0].mask.readAll()
        #expect(Set(stored) == [0, 1, 2, 4])
        #expect(zip(stored, read).allSatisfy { s, r in r == (s == 4 ? 3 : s) }, "4 reads as class 3, the rest unchanged")
        let scan = DatasetScan(cases, classes: dataset.classes)
        #expect(scan.problems.isEmpty, "\(scan.problems)")
        #expect(scan.classVoxels.count == 4 && scan.classVoxels[3] > 0)
    }

    @Test func aLabelTheLayoutDoesNotDeclareIsReportedNotTrained() throws {
        let folder = TemporaryFolder("patchtrain-brats-bad")
        try LayoutFixtures.brats(at: folder.path, cases: 1)
        let id = "BraTS2021_00000"
        var map = LayoutFixtures.labels(Extent3(40, 32, 24), case: 0, labels: [0, 2, 1, 4])
        map[0] = 3
        try NIfTIWriter.writeLabels(map, shape: Extent3(40, 32, 24), like: LayoutFixtures.header, to: folder.file("\(id)/\(id)_seg.nii.gz"))
        let dataset = try Dataset(path: folder.path)
        let scan = DatasetScan(try dataset.openCases(), classes: dataset.classes)
        #expect(scan.problems.count == 1 && scan.problems[0].file == folder.file("\(id)/\(id)_seg.nii.gz"), "\(scan.problems)")
    }

    @Test func missingChannelFilesAndLabelsAreNamed() throws {
        let folder = TemporaryFolder("patchtrain-nnunet-missing")
        try LayoutFixtures.nnUNet(at: folder.path)
        try FileManager.default.removeItem(atPath: folder.file("imagesTr/case_001_0001.nii.gz"))
        try FileManager.default.removeItem(atPath: folder.file("labelsTr/case_002.nii.gz"))
        let dataset = try Dataset(path: folder.path)
        #expect(dataset.entries.map(\.id) == ["case_000"])
        #expect(dataset.listingProblems.map(\.file).sorted() == [folder.file("imagesTr/case_001_0001.nii.gz"), folder.file("labelsTr/case_002.nii.gz")])
    }

    @Test func aDatasetJSONWithRegionLabelsIsRefusedNamingIt() throws {
        let folder = TemporaryFolder("patchtrain-nnunet-regions")
        try LayoutFixtures.nnUNet(at: folder.path, cases: 1)
        try LayoutFixtures.write(#"{"channel_names": {"0": "T2", "1": "ADC"}, "labels": {"background": 0, "whole": [1, 2]}, "file_ending": ".nii.gz"}"#,
                                 to: folder.file("dataset.json"))
        let error = #expect(throws: InputError.self) { try Dataset(path: folder.path) }
        #expect(error?.file == folder.file("dataset.json"))
    }
}
