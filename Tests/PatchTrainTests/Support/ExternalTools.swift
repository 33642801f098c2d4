import Foundation

/// Programs outside the package that some tests check against (an independent PNG decoder, a browser). Tests
/// that need one are skipped, with a message naming it, where it is missing; `make test-deps` installs them.
enum ExternalTools {
    /// The first of `names` found on PATH (or given as an absolute path) that can be executed.
    static func find(_ names: [String]) -> String? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for name in names {
            if name.hasPrefix("/") { if FileManager.default.isExecutableFile(atPath: name) { return name } else { continue } }
            for folder in folders where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") { return "\(folder)/\(name)" }
        }
        return nil
    }

    static let pngcheck = find(["pngcheck"])
    static let chromium = find(["chromium", "chromium-browser"])
    /// A Python that can import PIL (Debian's python3-pil lives in the system Python).
    static let pythonWithPIL: String? = ["python3", "/usr/bin/python3"].compactMap { find([$0]) }.first { python in
        (try? run(python, ["-c", "import PIL"]).status) == 0
    }

    /// Runs `program` and returns its exit status and standard output (standard error is discarded).
    static func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let scratch = TemporaryFolder("patchtrain-tool")
        let outPath = scratch.file("out")
        FileManager.default.createFile(atPath: outPath, contents: nil)
        let out = FileHandle(forWritingAtPath: outPath)!
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close()
        return (process.terminationStatus, (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "")
    }
}
