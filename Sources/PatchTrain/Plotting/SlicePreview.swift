import Foundation

/// Pictures of a volume's three orthogonal slices: the image in grey, and one row per label map (truth,
/// prediction) with each class's colour laid over it (`LabelPalette`), each panel captioned with its plane.
///
/// In the picture, the z-plane shows x across and y down; the x- and y-planes show z upwards.
enum SlicePreview {
    /// The panels' order: z (axial for the usual orientation), y, x.
    static let panelAxes = [2, 1, 0]
    static let background = RGB(hex: 0x111111)
    static let captionColor = RGB(hex: 0xDDDDDD)
    static let gap = 6

    /// Nearest-neighbour magnification so the longest slice edge is at least `minimumEdge` pixels.
    static func magnification(for extent: Extent3, minimumEdge: Int = 192) -> Int {
        max(1, minimumEdge / max(extent.x, extent.y, extent.z, 1))
    }

    /// Grey levels of the image: its values between the 0.5th and 99.5th percentile of the three slices, mapped to
    /// 0...255, so that a few bright voxels do not darken the rest.
    static func greyLevels(_ image: OrthogonalSlices<Float>) -> (Float) -> UInt8 {
        let values = image.planes.flatMap { $0 }.filter(\.isFinite).sorted()
        guard let first = values.first else { return { _ in 0 } }
        let lo = values[Int(Double(values.count - 1) * 0.005)], hi = values[Int(Double(values.count - 1) * 0.995)]
        let span = hi > lo ? hi - lo : max(abs(first), 1)
        return { v in v.isFinite ? UInt8(max(0, min(255, ((v - lo) / span * 255).rounded()))) : 0 }
    }

    /// The colour of one voxel: its grey level, with its class's colour laid over unless it is background.
    static func color(grey: UInt8, label: UInt8) -> RGB {
        label == 0 ? RGB(grey: grey) : RGB(grey: grey).blended(with: LabelPalette.color(of: Int(label)), alpha: LabelPalette.overlayAlpha)
    }

    /// The size on screen of plane `axis`: (columns, rows) before magnification.
    static func panelSize(axis: Int, extent: Extent3) -> (width: Int, height: Int) {
        let (u, v) = OrthogonalSlices<Float>.axes(of: axis)
        return (extent[u], extent[v])
    }

    /// Draws plane `axis` of `image` with `labels` over it (none: the image alone) at `(x, y)`, magnified.
    static func drawPanel(into raster: inout Raster, x: Int, y: Int, axis: Int, image: OrthogonalSlices<Float>,
                          grey: (Float) -> UInt8, labels: OrthogonalSlices<UInt8>?, magnification m: Int) {
        let (width, height) = panelSize(axis: axis, extent: image.extent)
        for row in 0..<height {
            // z-planes: v (y) runs down; x- and y-planes: v (z) runs up.
            let v = axis == 2 ? row : height - 1 - row
            for column in 0..<width {
                let level = grey(image.value(axis: axis, u: column, v: v))
                let color = color(grey: level, label: labels?.value(axis: axis, u: column, v: v) ?? 0)
                raster.fill(x: x + column * m, y: y + row * m, width: m, height: m, color)
            }
        }
    }

    /// Where the panels go: the picture's size, and per row the top-left corner of each panel (in `panelAxes`
    /// order), the image part below its caption line.
    struct Layout: Sendable, Equatable {
        var width: Int
        var height: Int
        var panels: [[Extent2]]
    }

    struct Extent2: Sendable, Equatable {
        var x: Int
        var y: Int
    }

    static func layout(extent: Extent3, rows: Int, magnification m: Int) -> Layout {
        let caption = BitmapFont.standard.lineHeight + 4
        let sizes = panelAxes.map { panelSize(axis: $0, extent: extent) }
        let rowHeight = caption + (sizes.map(\.height).max() ?? 0) * m + gap
        var panels: [[Extent2]] = []
        for r in 0..<rows {
            var x = gap
            var row: [Extent2] = []
            for size in sizes {
                row.append(Extent2(x: x, y: gap + r * rowHeight + caption))
                x += size.width * m + gap
            }
            panels.append(row)
        }
        return Layout(width: sizes.reduce(gap) { $0 + $1.width * m + gap }, height: rows * rowHeight + gap, panels: panels)
    }

    /// One row of three panels per entry of `rows` (a name and its labels; nil labels: the image alone).
    static func render(image: OrthogonalSlices<Float>, rows: [(name: String, labels: OrthogonalSlices<UInt8>?)],
                              magnification m: Int? = nil) -> Raster {
        let m = m ?? magnification(for: image.extent)
        let layout = layout(extent: image.extent, rows: rows.count, magnification: m)
        var raster = Raster(width: layout.width, height: layout.height, background: background)
        let grey = greyLevels(image)
        let names = ["x", "y", "z"]
        for (row, corners) in zip(rows, layout.panels) {
            for (axis, corner) in zip(panelAxes, corners) {
                raster.text("\(row.name)  \(names[axis])=\(image.center[axis])", x: corner.x, y: corner.y - BitmapFont.standard.lineHeight - 4,
                            captionColor, scale: 1)
                drawPanel(into: &raster, x: corner.x, y: corner.y, axis: axis, image: image, grey: grey, labels: row.labels, magnification: m)
            }
        }
        return raster
    }

    /// Where `writePrediction` puts the picture of `stem`.
    static func path(folder: String, stem: String) -> String { "\(folder)/\(stem).png" }

    /// The picture `infer --preview` writes, `folder/stem.png` (the folder is created): the image's slices through
    /// the largest structure of the predicted label map in `labelsFile`, with the prediction over them. Returns its path.
    @discardableResult
    static func writePrediction(image: any VolumeSource, labelsFile: String, folder: String, stem: String) throws -> String {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw RuntimeFailure("\(folder): cannot create the preview folder (\(error.localizedDescription))")
        }
        let labels = try VolumeOpener.open(labelsFile)
        guard image.shape.spatial == labels.shape.spatial else {
            throw InputError(labels.path, "is \(labels.shape.spatial), its image \(image.path) is \(image.shape.spatial)")
        }
        let center = SliceCenter.throughLargestStructure(of: labels)
        let picture = render(image: OrthogonalSlices(image: image, center: center),
                             rows: [(name: "prediction", labels: OrthogonalSlices(labels: labels, center: center))])
        let path = SlicePreview.path(folder: folder, stem: stem)
        try picture.writePNG(to: path)
        return path
    }
}
