import Foundation
@testable import PatchTrain
import Testing

/// `patchtrain report` on a short real run: one self-contained page, and, in a real browser, a picture that holds
/// the curves, the memory bar and the slices where the page puts them.
@Suite(.serialized) struct ReportTests {
    /// A folder's files by name.
    struct Folder: Sendable {
        let path: String
        func file(_ name: String) -> String { "\(path)/\(name)" }
    }

    /// A 4-step run with one validation case validated after steps 2 and 4, and its report; made once for the
    /// suite, in the system's temporary folder.
    static let run: Result<(folder: Folder, html: String), any Error> = Result {
        let folder = Folder(path: "\(FileManager.default.temporaryDirectory.path)/patchtrain-report-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        let data = folder.file("data"), run = folder.file("run")
        for arguments in [["synth", "--out", data, "--cases", "3", "--shape", "40x36x32", "--seed", "4"],
                          ["fit", "--data", data, "--ram", "1G", "--patch", "32x32x32", "--batch", "1", "--steps", "4",
                           "--validation", "1", "--val-every", "2", "--lr", "3e-3", "--out", run],
                          ["report", run, "--out", folder.file("report.html")]] {
            let result = try CLIRunner.run(arguments)
            guard result.status == 0 else { throw CLIRunnerError("\(arguments[0]) failed: \(result.stderr)") }
        }
        return (folder, try String(contentsOfFile: folder.file("report.html"), encoding: .utf8))
    }

    @Test func thePageIsSelfContained() throws {
        let (folder, html) = try Self.run.get()
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
        #expect(!html.contains("<script") && !html.contains("http://") && !html.contains("https://") && !html.contains("<link"))
        for id in ["loss-steps", "dice-steps", "loss-time", "dice-time", "learning-rate"] { #expect(html.contains("id=\"\(id)\"")) }
        #expect(html.components(separatedBy: "src=\"data:image/png;base64,").count - 1 == 6, "5 charts and 1 validation case")
        #expect(html.contains("case_") && html.contains("patchtrain fit --data") && html.contains("--plan \(folder.file("run"))/plan.json"))
        // fit left the pictures the report and the user read.
        #expect(FileManager.default.fileExists(atPath: folder.file("run/progress.png")))
        let saved = try FileManager.default.contentsOfDirectory(atPath: folder.file("run/validation"))
        #expect(saved.count == 1 && saved[0].hasSuffix(".json"))
    }

    @Test(.enabled(if: ExternalTools.pythonWithPIL != nil, "Python with PIL (Debian: python3-pil) is not installed; make test-deps installs it"))
    func progressAndPreviewPicturesDecode() throws {
        let (folder, _) = try Self.run.get()
        let infer = try CLIRunner.run(["infer", "--model", folder.file("run/best"), "--input", folder.file("data"),
                                       "--out", folder.file("pred"), "--ram", "1G", "--preview", folder.file("preview")])
        #expect(infer.status == 0, "\(infer.stderr)")
        let files = [folder.file("run/progress.png")] + (0..<3).map { folder.file("preview/case_00\($0).png") }
        let script = "import sys\nfrom PIL import Image\nfor p in sys.argv[1:]:\n    im = Image.open(p); im.load(); print(im.format, im.mode, *im.size)"
        let (status, output) = try ExternalTools.run(ExternalTools.pythonWithPIL!, ["-c", script] + files)
        #expect(status == 0)
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.first == "PNG RGB \(ValidationMemory.progressPicture.width) \(ValidationMemory.progressPicture.height)")
        #expect(lines.count == 4 && lines.dropFirst().allSatisfy { $0.hasPrefix("PNG RGB ") })
    }

    /// Chromium's screenshot of the page, measured by PIL: colours that only the charts, the memory bar and the
    /// slice panels use must appear, in that order down the page, with drawing (not blank) around them.
    @Test(.enabled(if: ExternalTools.chromium != nil && ExternalTools.pythonWithPIL != nil,
                   "chromium or Python with PIL is not installed; make test-deps installs them (Debian: chromium, python3-pil)"))
    func aBrowserShowsCurvesMemoryAndSlices() throws {
        let (folder, _) = try Self.run.get()
        let shot = folder.file("shot.png")
        _ = try ExternalTools.run(ExternalTools.chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                                           "--window-size=1280,2400", "--screenshot=\(shot)",
                                                           "file://\(folder.file("report.html"))"])
        #expect(FileManager.default.fileExists(atPath: shot), "chromium wrote no screenshot")
        let (status, output) = try ExternalTools.run(ExternalTools.pythonWithPIL!, ["-c", Self.measure, shot])
        #expect(status == 0)
        let stats = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        func region(_ name: String) throws -> (count: Int, top: Int, bottom: Int, ink: Double) {
            let r = try #require(stats[name] as? [String: Any], "\(name) missing")
            return (r["count"] as! Int, r["top"] as! Int, r["bottom"] as! Int, r["ink"] as! Double)
        }
        #expect((stats["std"] as! Double) > 30, "the page is not blank")
        let loss = try region("smoothedLoss"), arena = try region("arena"), slices = try region("sliceBackground")
        #expect(loss.count > 500 && arena.count > 300 && slices.count > 2000, "\(stats)")
        #expect(loss.bottom < arena.top && arena.bottom < slices.top, "curves, then memory, then slices: \(stats)")
        #expect(loss.ink > 0.03 && loss.ink < 0.6, "the chart region holds drawing on white: \(stats)")
        let overlay = try #require(stats["overlayPixels"] as? Int)
        #expect(overlay > 300, "coloured label overlays inside the slice panels: \(stats)")
    }

    /// For each marker colour: how many pixels have it exactly, the rows they span, and the share of non-white
    /// pixels in those rows; plus the page's standard deviation and the coloured (non-grey) pixels in the slices.
    static let measure = """
        import sys, json
        from PIL import Image, ImageStat
        im = Image.open(sys.argv[1]).convert('RGB'); w, h = im.size; px = im.load()
        marks = {'smoothedLoss': (0x1F, 0x78, 0xB4), 'arena': (0xFF, 0x7F, 0x00), 'sliceBackground': (0x11, 0x11, 0x11)}
        rows = {k: [] for k in marks}
        for y in range(h):
            for x in range(w):
                p = px[x, y]
                for k, c in marks.items():
                    if p == c: rows[k].append(y)
        out = {'std': sum(ImageStat.Stat(im).stddev) / 3}
        for k, ys in rows.items():
            if not ys: continue
            top, bottom = min(ys), max(ys)
            ink = sum(1 for y in range(top, bottom + 1) for x in range(w) if px[x, y] != (255, 255, 255))
            out[k] = {'count': len(ys), 'top': top, 'bottom': bottom, 'ink': ink / (w * (bottom - top + 1))}
        if rows['sliceBackground']:
            top, bottom = min(rows['sliceBackground']), max(rows['sliceBackground'])
            out['overlayPixels'] = sum(1 for y in range(top, bottom + 1) for x in range(w)
                                       if max(px[x, y]) - min(px[x, y]) > 40 and px[x, y] != (255, 255, 255))
        print(json.dumps(out))
        """
}
