import ArgumentParser
import Foundation
import PatchTrain

/// `patchtrain pack DATA --out DATA.ptpack`: one file holding a dataset as training reads it (float16 images,
/// uint8 labels, foreground indexes) in zstd-compressed, checksummed chunks. Every command takes the pack
/// where it takes a dataset.
struct Pack: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pack a dataset into one compressed, chunked, checksummed file that every command reads as a dataset.",
        discussion: """
            Images are stored as float16, exactly the values training reads from any source (so a pack trains \
            bit for bit like its source); --keep-float32 stores float32 instead. Labels are stored as uint8 classes, \
            with the layout's label values kept for infer and evaluate.
            """
    )

    @Argument(help: "Dataset in any layout (images/ + masks/, manifest, nnU-Net v2 raw, Decathlon, BraTS folders).")
    var dataset: String

    @Option(name: .long, help: ArgumentHelp("The pack file to write (.ptpack).", valueName: "file"))
    var out: String

    @Option(name: .long, help: "Chunk edge in voxels (8...256).")
    var chunk = 32

    @Option(name: .long, help: "zstd compression level (1...19).")
    var level: Int32 = 3

    @Flag(name: .customLong("keep-float32"), help: "Store images as float32 instead of float16.")
    var keepFloat32 = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (8...256).contains(chunk) else { throw ValidationError("--chunk must be 8...256, got \(chunk)") }
        guard (1...19).contains(level) else { throw ValidationError("--level must be 1...19, got \(level)") }
        guard out.lowercased().hasSuffix(".ptpack") else { throw ValidationError("--out must end in .ptpack, got \(out)") }
    }

    func run() throws {
        let data = try Dataset(path: dataset)
        let progress = ProgressBar(label: "pack", total: data.entries.count, unit: "cases", quietPeriod: 1)
        let summary = try PackWriter.write(data, to: out, settings: PackSettings(chunkEdge: chunk, keepFloat32: keepFloat32, level: level)) {
            done, _, _ in progress.update(completed: done)
        }
        progress.finish()
        try output.print(PackReport(summary: summary))
    }
}

/// What `pack` wrote, against what it read.
struct PackReport: CommandSummary {
    let summary: PackSummary

    func encode(to encoder: any Encoder) throws { try summary.encode(to: encoder) }

    var text: String {
        let s = summary
        let ratio = s.packBytes > 0 ? Double(s.sourceBytes) / Double(s.packBytes) : 0
        return "packed \(s.cases) case\(s.cases == 1 ? "" : "s") into \(s.pack): \(s.packBytes) bytes (\(s.chunks) chunks), "
            + "source \(s.sourceBytes) bytes (\(String(format: "%.1f", ratio))x smaller) in \(String(format: "%.1f", s.seconds)) s\n"
    }
}
