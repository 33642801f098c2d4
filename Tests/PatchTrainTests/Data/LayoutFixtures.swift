import Foundation
@testable import PatchTrain

/// Small datasets written in the layouts users hold: nnU-Net v2 raw (one file per channel), the Decathlon
/// (4D NIfTI, channels in the 4th dimension, several shapes) and BraTS (one folder per case, labels {0, 1, 2, 4}).
///
/// Every case is nested spheres around a centre that moves with the case: the inner sphere holds the largest
/// label, the shell around it the next, the outer shell the smallest foreground label. Channel `k` is brighter
/// inside by a channel-dependent amount over a seeded noise floor, so the channels differ and a network can
/// learn from them. Geometry: 1.5 × 1.5 × 2 mm voxels with an sform, so outputs can be checked against it.
enum LayoutFixtures {
    /// The label map of a case of `extent` with `labels` = [background, outer, middle, inner] (or fewer).
    static func labels(_ extent: Extent3, case index: Int, labels: [Int]) -> [UInt8] {
        let centre = SIMD3<Double>(Double(extent.x) / 2 + Double(index % 3) - 1, Double(extent.y) / 2, Double(extent.z) / 2)
        let radii: [Double] = [9, 6, 3.5]
        var out = [UInt8](repeating: 0, count: extent.volume)
        for x in 0..<extent.x { for y in 0..<extent.y { for z in 0..<extent.z {
            let d = SIMD3<Double>(Double(x), Double(y), Double(z)) - centre
            let r = (d * d).sum().squareRoot()
            var label = 0
            for (k, radius) in radii.enumerated() where k + 1 < labels.count && r < radius { label = labels[k + 1] }
            out[(x * extent.y + y) * extent.z + z] = UInt8(label)
        } } }
        return out
    }

    /// Channel `channel` of the image over `labelMap`: noise plus a per-label, per-channel brightness.
    static func image(_ labelMap: [UInt8], channel: Int, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed &+ UInt64(channel))
        return labelMap.map { Float($0) * Float(channel + 1) * 0.4 + Float.random(in: -0.3...0.3, using: &generator) }
    }

    static var header: NIfTIHeader {
        var header = NIfTIHeader(shape: VolumeShape(x: 1, y: 1, z: 1), elementType: .float32)
        header.sformCode = 1
        header.srowX = [1.5, 0, 0, -30]
        header.srowY = [0, 1.5, 0, -20]
        header.srowZ = [0, 0, 2, 10]
        header.pixdim = [1, 1.5, 1.5, 2, 1, 1, 1, 1]
        return header
    }

    static func write(_ content: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try content.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func folder(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// nnU-Net v2 raw with 2 channels and labels 0, 1, 2: `imagesTr/case_00N_000C.nii.gz`, `labelsTr/case_00N.nii.gz`.
    static func nnUNet(at root: String, cases: Int = 3, extent: Extent3 = Extent3(32, 32, 32)) throws {
        try folder("\(root)/imagesTr")
        try folder("\(root)/labelsTr")
        try write(#"{"channel_names": {"0": "T2", "1": "ADC"}, "labels": {"background": 0, "edema": 1, "tumour": 2}, "numTraining": \#(cases), "file_ending": ".nii.gz"}"#,
                  to: "\(root)/dataset.json")
        for i in 0..<cases {
            let id = String(format: "case_%03d", i)
            let map = labels(extent, case: i, labels: [0, 1, 2])
            let spatial = VolumeShape(x: extent.x, y: extent.y, z: extent.z)
            for c in 0..<2 {
                try NIfTIWriter.writeFloats(image(map, channel: c, seed: UInt64(i)), shape: spatial, like: header,
                                            to: "\(root)/imagesTr/\(id)_\(String(format: "%04d", c)).nii.gz")
            }
            try NIfTIWriter.writeLabels(map, shape: extent, like: header, to: "\(root)/labelsTr/\(id).nii.gz")
        }
    }

    /// The Decathlon: 4D images with 2 channels, three different case shapes, labels 0, 1, 2.
    static let decathlonShapes = [Extent3(40, 32, 24), Extent3(32, 32, 32), Extent3(48, 40, 32)]

    static func decathlon(at root: String) throws {
        try folder("\(root)/imagesTr")
        try folder("\(root)/labelsTr")
        try write(#"{"name": "Fixture", "modality": {"0": "FLAIR", "1": "T1w"}, "labels": {"0": "background", "1": "edema", "2": "tumour"}, "numTraining": 3}"#,
                  to: "\(root)/dataset.json")
        for (i, extent) in decathlonShapes.enumerated() {
            let id = String(format: "task_%03d", i)
            let map = labels(extent, case: i, labels: [0, 1, 2])
            let channels = (0..<2).map { image(map, channel: $0, seed: UInt64(10 + i)) }
            // (x, y, z, c) channel-last, as the writer takes it: channels become the 4th dimension.
            var values = [Float](repeating: 0, count: extent.volume * 2)
            for v in 0..<extent.volume { for c in 0..<2 { values[v * 2 + c] = channels[c][v] } }
            try NIfTIWriter.writeFloats(values, shape: VolumeShape(x: extent.x, y: extent.y, z: extent.z, channels: 2), like: header,
                                        to: "\(root)/imagesTr/\(id).nii.gz")
            try NIfTIWriter.writeLabels(map, shape: extent, like: header, to: "\(root)/labelsTr/\(id).nii.gz")
        }
    }

    /// BraTS: one folder per case with four modalities and `_seg` holding labels {0, 1, 2, 4}.
    static func brats(at root: String, cases: Int = 3, extent: Extent3 = Extent3(40, 32, 24)) throws {
        for i in 0..<cases {
            let id = String(format: "BraTS2021_%05d", i)
            try folder("\(root)/\(id)")
            let map = labels(extent, case: i, labels: [0, 2, 1, 4])
            let spatial = VolumeShape(x: extent.x, y: extent.y, z: extent.z)
            for (c, modality) in ["flair", "t1", "t1ce", "t2"].enumerated() {
                try NIfTIWriter.writeFloats(image(map, channel: c, seed: UInt64(20 + i)), shape: spatial, like: header,
                                            to: "\(root)/\(id)/\(id)_\(modality).nii.gz")
            }
            try NIfTIWriter.writeLabels(map, shape: extent, like: header, to: "\(root)/\(id)/\(id)_seg.nii.gz")
        }
    }
}
