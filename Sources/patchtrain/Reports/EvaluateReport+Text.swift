import Foundation

extension EvaluateReport {
    /// A header line, the Dice table (one row per case and a mean row), and the HD95 table when measured.
    var text: String {
        var out = "evaluate \(predictions) against \(truth): \(cases.count) case\(cases.count == 1 ? "" : "s"), \(classes) class\(classes == 1 ? "" : "es")"
        if !regions.isEmpty { out += "; regions " + regions.map { "\($0.name) = {\($0.labels.map(String.init).joined(separator: ","))}" }.joined(separator: ", ") }
        out += "\n\nDice (a structure absent from both volumes scores 1)\n"
        let diceHeader = ["case"] + labels.map { "class \($0)" } + regions.map(\.name)
        var rows = [diceHeader]
        for c in cases { rows.append([c.id] + (c.classes + c.regions).map { String(format: "%.4f", $0.dice) }) }
        rows.append(["mean"] + (mean.classes + mean.regions).map { String(format: "%.4f", $0.dice) })
        out += TextTable.render(rows)

        let units = Set(cases.compactMap(\.hd95Unit))
        if !units.isEmpty {
            out += "\nHD95 in \(units.sorted().map { $0 == "voxel" ? "voxels" : $0 }.joined(separator: " / ")) (absent from both: 0; from one only: the volume's diagonal)\n"
            var rows = [["case"] + labels.filter { $0 != 0 }.map { "class \($0)" } + regions.map(\.name)]
            func cells(_ scores: [Score]) -> [String] {
                scores.filter { $0.label != 0 }.map { $0.hd95.map { String(format: "%.2f", $0) } ?? "-" }
            }
            for c in cases { rows.append([c.id] + cells(c.classes + c.regions)) }
            rows.append(["mean"] + cells(mean.classes + mean.regions))
            out += TextTable.render(rows)
        }
        return out
    }
}
