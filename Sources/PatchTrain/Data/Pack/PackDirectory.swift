import Foundation

/// The pack's directory: a UTF-8 JSON object after the header, describing the dataset and each case.
/// Its table entries follow from the shapes alone (each case: image chunks, label chunks, one foreground index),
/// so the directory is written before any chunk is compressed, and a truncated pack still names its cases.
struct PackDirectory: Codable, Equatable {
    struct Case: Codable, Equatable {
        var id: String
        /// `[x, y, z, channels]` of the image; the labels are `[x, y, z]`.
        var shape: [Int]
        var validation: Bool
        /// The case's first table entry.
        var firstEntry: Int
        /// The source image's NIfTI header (348 bytes, base64), whose geometry predictions keep; nil for `.npy`.
        var niftiHeader: String?
    }

    static let formatName = "patchtrain pack"

    var format: String
    /// `float16` (what training reads) or `float32` (`--keep-float32`).
    var imageType: ElementType
    var classes: Int
    /// The layout's stored label values (index = class), when it declares them.
    var labelValues: [Int]?
    var channelNames: [String]?
    /// The layout the pack was made from, as `inspect` names it.
    var sourceLayout: String
    /// The cap of the stored foreground indexes (`ForegroundIndex.maximumPerClass`).
    var maximumPerClass: Int
    var cases: [Case]

    /// Table entries of one case of `shape` in a grid of `edge`: two per chunk (image, labels) and one index.
    static func entries(shape: VolumeShape, edge: Int) -> Int {
        2 * PackChunkGrid(extent: shape.spatial, edge: edge).chunkCount + 1
    }

    /// Range-checks every field against the header's chunk edge and table size; the first problem names its field.
    func check(chunkEdge: Int, tableEntries: Int) throws {
        guard format == PackDirectory.formatName else { throw FieldProblem("format", "is '\(format)', not '\(PackDirectory.formatName)'") }
        guard imageType == .float16 || imageType == .float32 else { throw FieldProblem("imageType", "is \(imageType), must be float16 or float32") }
        if let problem = LabelClasses.problem(classes) { throw FieldProblem("classes", problem) }
        if let labelValues {
            guard labelValues.count == classes, labelValues.allSatisfy({ (0...255).contains($0) }), labelValues == labelValues.sorted(),
                  Set(labelValues).count == classes else { throw FieldProblem("labelValues", "must be \(classes) ascending distinct values in 0...255") }
        }
        try FieldProblem.check("maximumPerClass", maximumPerClass, in: 2...(1 << 24))
        try FieldProblem.check("cases (count)", cases.count, in: 1...(1 << 20))
        var next = 0
        var ids = Set<String>()
        for (i, item) in cases.enumerated() {
            guard ids.insert(item.id).inserted, !item.id.isEmpty else { throw FieldProblem("cases[\(i)].id", "'\(item.id)' is empty or repeated") }
            guard item.shape.count == 4 else { throw FieldProblem("cases[\(i)].shape", "must be [x, y, z, channels]") }
            for (a, v) in item.shape.enumerated() { try FieldProblem.check("cases[\(i)].shape[\(a)]", v, in: 1...(a == 3 ? 64 : 1 << 15)) }
            guard Checked.product(item.shape) != nil else { throw FieldProblem("cases[\(i)].shape", "overflows") }
            guard item.firstEntry == next else { throw FieldProblem("cases[\(i)].firstEntry", "is \(item.firstEntry), the table places it at \(next)") }
            next += PackDirectory.entries(shape: item.volumeShape, edge: chunkEdge)
        }
        guard next == tableEntries else { throw FieldProblem("cases", "need \(next) table entries, the table has \(tableEntries)") }
    }
}

extension PackDirectory.Case {
    var volumeShape: VolumeShape { VolumeShape(x: shape[0], y: shape[1], z: shape[2], channels: shape[3]) }
}
