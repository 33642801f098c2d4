import Foundation
@testable import PatchTrain
import Testing

/// Slices through volumes and the pictures drawn from them: the right planes, read plane by plane, and every
/// pixel the grey image with exactly its label's colour over it.
struct SlicePreviewTests {
    static let extent = Extent3(20, 16, 12)

    /// Labels: a large block of class 2 (with a class-3 core) and a small block of class 1 elsewhere.
    static func labels() -> [UInt8] {
        var labels = [UInt8](repeating: 0, count: extent.volume)
        for x in 0..<20 { for y in 0..<16 { for z in 0..<12 {
            var value: UInt8 = 0
            if (8...15).contains(x) && (3...10).contains(y) && (4...9).contains(z) { value = (11...12).contains(x) && (6...7).contains(y) ? 3 : 2 }
            if (1...2).contains(x) && (12...13).contains(y) && (0...1).contains(z) { value = 1 }
            labels[(x * 16 + y) * 12 + z] = value
        } } }
        return labels
    }

    @Test func slicesCrossTheLargestStructureAndMatchTheVolume() throws {
        let folder = TemporaryFolder()
        let labels = Self.labels()
        try NPYWriter.write(labels, elementType: .uint8, shape: [20, 16, 12], to: folder.file("labels.npy"))
        let image = (0..<Self.extent.volume).map { Float($0 % 97) }
        try NPYWriter.write(image, elementType: .float32, shape: [20, 16, 12, 1], to: folder.file("image.npy"))
        let source = try NPYVolume(path: folder.file("labels.npy"))

        let center = SliceCenter.throughLargestStructure(of: source)
        // Every x-plane of the large block holds 48 foreground voxels (the middle one of x = 8...15 is taken); its
        // median row and column lie inside it.
        #expect(center.x == 12 && (3...10).contains(center.y) && (4...9).contains(center.z))

        let read = OrthogonalSlices(labels: source, center: center)
        let e = Self.extent
        for y in 0..<e.y { for z in 0..<e.z { #expect(read.value(axis: 0, u: y, v: z) == labels[(center.x * e.y + y) * e.z + z]) } }
        for x in 0..<e.x { for z in 0..<e.z { #expect(read.value(axis: 1, u: x, v: z) == labels[(x * e.y + center.y) * e.z + z]) } }
        for x in 0..<e.x { for y in 0..<e.y { #expect(read.value(axis: 2, u: x, v: y) == labels[(x * e.y + y) * e.z + center.z]) } }

        // Filling from x-planes (as validation does) gives the same slices.
        var taken = OrthogonalSlices<UInt8>(extent: e, center: center, filledWith: 0)
        for x in 0..<e.x { labels.withUnsafeBufferPointer { taken.take(xPlane: x, $0.baseAddress! + x * e.y * e.z) } }
        #expect(taken.planes == read.planes)

        let grey = OrthogonalSlices(image: try NPYVolume(path: folder.file("image.npy")), center: center)
        #expect(grey.value(axis: 2, u: 5, v: 7) == image[(5 * e.y + 7) * e.z + center.z])
    }

    @Test func aVolumeWithoutForegroundIsSlicedThroughItsCentre() throws {
        let folder = TemporaryFolder()
        try NPYWriter.write([UInt8](repeating: 0, count: 8 * 6 * 4), elementType: .uint8, shape: [8, 6, 4], to: folder.file("empty.npy"))
        #expect(SliceCenter.throughLargestStructure(of: try NPYVolume(path: folder.file("empty.npy"))) == Extent3(4, 3, 2))
    }

    @Test func overlayColoursFollowTheLabelMaps() {
        let e = Self.extent, center = Extent3(12, 7, 6)
        let labels = Self.labels()
        let values = (0..<e.volume).map { Float($0 % 31) - 5 }
        func slices<T>(_ all: [T]) -> OrthogonalSlices<T> {
            OrthogonalSlices(extent: e, center: center, planes: [
                (0..<e.y * e.z).map { all[center.x * e.y * e.z + $0] },
                (0..<e.x * e.z).map { all[($0 / e.z * e.y + center.y) * e.z + $0 % e.z] },
                (0..<e.x * e.y).map { all[$0 * e.z + center.z] },
            ])
        }
        let image = slices(values), truth = slices(labels)
        let prediction = OrthogonalSlices(extent: e, center: center, planes: truth.planes.map { $0.map { $0 == 2 ? 1 : $0 } })
        let m = 3
        let raster = SlicePreview.render(image: image, rows: [(name: "truth", labels: truth), (name: "prediction", labels: prediction)],
                                         magnification: m)
        let layout = SlicePreview.layout(extent: e, rows: 2, magnification: m)
        #expect(raster.width == layout.width && raster.height == layout.height)
        let grey = SlicePreview.greyLevels(image)
        var coloured = 0
        for (labelSlices, corners) in zip([truth, prediction], layout.panels) {
            for (axis, corner) in zip(SlicePreview.panelAxes, corners) {
                let (uAxis, vAxis) = OrthogonalSlices<UInt8>.axes(of: axis)
                for u in 0..<e[uAxis] {
                    for v in 0..<e[vAxis] {
                        let row = axis == 2 ? v : e[vAxis] - 1 - v
                        let label = labelSlices.value(axis: axis, u: u, v: v)
                        let level = grey(image.value(axis: axis, u: u, v: v))
                        let expected = label == 0 ? RGB(grey: level)
                            : RGB(grey: level).blended(with: LabelPalette.colors[Int(label)], alpha: 0.5)
                        // Every pixel of the magnified voxel.
                        for i in 0..<m { for j in 0..<m { #expect(raster[corner.x + u * m + i, corner.y + row * m + j] == expected) } }
                        if label != 0 { coloured += 1 }
                    }
                }
            }
        }
        #expect(coloured > 50, "the test's slices cross the structures")
        // Grey levels span the image's range: its smallest values black, its largest white.
        #expect(grey(-5) == 0 && grey(25) == 255)
    }
}
