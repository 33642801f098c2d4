import Foundation

/// One validation case in the report: the image's three slices with the truth over them in the first row and
/// the prediction in the second (`SlicePreview`), and a caption with the case's Dice per class.
struct CasePicture: Sendable {
    let slices: ValidationSlices
    let raster: Raster
    /// Why the image could not be drawn (then the labels lie over black); nil when it was.
    let imageProblem: String?

    /// Reads the grey slices from the case's image (plane by plane, pages given back as it goes).
    init(_ slices: ValidationSlices) {
        self.slices = slices
        var problem: String?
        var image = OrthogonalSlices<Float>(extent: slices.extent, center: slices.center, filledWith: 0)
        do {
            let volume = try VolumeOpener.open(slices.image)
            if volume.shape.spatial == slices.extent {
                image = OrthogonalSlices(image: volume, center: slices.center)
            } else {
                problem = "\(slices.image) is \(volume.shape.spatial) now, the validated case was \(slices.extent)"
            }
        } catch {
            problem = "\(error)"
        }
        imageProblem = problem
        raster = SlicePreview.render(image: image, rows: [(name: "truth", labels: slices.truthSlices),
                                                          (name: "prediction", labels: slices.predictionSlices)])
    }

    /// The figure: the picture and its caption.
    func html() throws -> String {
        let dice = slices.dice.enumerated().dropFirst().map { k, value in
            "<span class=\"dice\"><i style=\"background:\(LabelPalette.color(of: k).hexString)\"></i>class \(k) "
                + String(format: "%.3f", value) + "</span>"
        }.joined(separator: " ")
        let note = imageProblem.map { "<br><small>image not drawn: \(HTML.escape($0))</small>" } ?? ""
        return """
            <figure class="case">\(HTML.image(png: try raster.pngBytes(), width: raster.width, height: raster.height,
                                              alt: "slices of \(slices.caseID)"))
            <figcaption><b>\(HTML.escape(slices.caseID))</b> after step \(slices.step), slices through (x, y, z) = \
            (\(slices.center.x), \(slices.center.y), \(slices.center.z)): Dice \(dice)\(note)</figcaption></figure>
            """
    }
}
