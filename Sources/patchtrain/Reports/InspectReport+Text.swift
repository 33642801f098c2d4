import Foundation

extension InspectReport {
    /// The human report: a header line, one row per case, a totals row, and a problem count.
    var text: String {
        var out = "dataset \(dataset) (\(layout)): \(totals.cases) of \(listed) listed case\(listed == 1 ? "" : "s") opened"
        out += ", \(totals.training) training, \(totals.validation) validation; \(classes) class\(classes == 1 ? "" : "es")\n"
        if let channelNames { out += "channels: \(channelNames.joined(separator: ", "))\n" }
        if let labels, labels != Array(0..<labels.count) {
            out += "labels \(labels.map(String.init).joined(separator: ", ")) train as classes 0...\(labels.count - 1) and are written back as stored\n"
        }
        if spacings.count > 1 {
            let list = spacings.map { "\($0.millimetres.map { String(format: "%g", $0) }.joined(separator: "x")) mm (\($0.cases) case\($0.cases == 1 ? "" : "s"))" }
            out += "voxel spacings differ: \(list.joined(separator: ", ")); patchtrain does not resample\n"
        }
        var rows: [[String]] = [["id", "split", "image", "mask", "disk", "intensity min/max/mean", "class fractions"]]
        for c in cases {
            let intensity = c.intensity.map { "\(Self.number($0.min)) / \(Self.number($0.max)) / \(Self.number(Float($0.mean)))" } ?? "-"
            rows.append([
                c.id, c.split == "validation" ? "val" : "train",
                "\(Self.shape(c.image.shape)) \(c.image.dtype)",
                "\(Self.shape(c.mask.shape)) \(c.mask.dtype) \(c.maskKind)",
                Self.bytes(c.diskBytes), intensity,
                c.classFractions.map { String(format: "%.4f", $0) }.joined(separator: " "),
            ])
        }
        rows.append(["all", "", "", "", Self.bytes(totals.diskBytes), "",
                     totals.classFractions.map { String(format: "%.4f", $0) }.joined(separator: " ")])
        out += TextTable.render(rows)
        out += problems.isEmpty ? "no problems found\n" : "\(problems.count) problem\(problems.count == 1 ? "" : "s") found (listed on stderr)\n"
        return out
    }

    static func shape(_ s: [Int]) -> String { s.map(String.init).joined(separator: "x") }

    static func number(_ v: Float) -> String { String(format: "%.4g", Double(v)) }

    /// Binary units with one decimal: short enough for a table column.
    static func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(n) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
