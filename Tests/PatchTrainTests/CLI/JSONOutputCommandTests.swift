import Foundation
import Testing
@testable import PatchTrain

/// Every command's `--json` output comes from the CLI's one encoder configuration: pretty-printed (two-space
/// indent, `"key" : value`), keys sorted at every level, `/` never escaped, and one JSON object on stdout.
@Suite(.serialized) struct JSONOutputCommandTests {
    @Test func everyCommandPrintsTheSameJSONForm() throws {
        let folder = TemporaryFolder()
        let data = folder.file("data"), run = folder.file("run"), predictions = folder.file("pred")
        let commands: [(String, [String])] = [
            ("synth", ["synth", "--out", data, "--cases", "2", "--shape", "32x32x32", "--seed", "3"]),
            ("inspect", ["inspect", data]),
            ("plan", ["plan", "--data", data, "--ram", "1G", "--patch", "32x32x32", "--out", folder.file("plan.json")]),
            ("fit", ["fit", "--data", data, "--plan", folder.file("plan.json"), "--steps", "1", "--validation", "1", "--out", run]),
            ("infer", ["infer", "--model", "\(run)/last", "--input", data, "--out", predictions, "--ram", "1G"]),
            ("evaluate", ["evaluate", "--pred", predictions, "--truth", data]),
        ]
        for (name, arguments) in commands {
            let result = try CLIRunner.run(arguments + ["--json"])
            #expect(result.status == 0, "\(name): \(result.stderr)")
            let text = result.stdout
            #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any], "\(name): not one JSON object")
            #expect(!text.contains(#"\/"#), "\(name): escaped slashes in \(text.prefix(200))")
            if name != "plan" { #expect(text.contains("/"), "\(name): its paths should be in the output, unescaped") }
            #expect(text.hasPrefix("{\n  \""), "\(name): not pretty-printed: \(text.prefix(80))")
            #expect(text.contains("\" : "), "\(name): not the encoder's `\"key\" : value` form")
            #expect(Self.unsortedKey(in: text) == nil, "\(name): key out of order: \(Self.unsortedKey(in: text) ?? "")")
        }
        // `plan --out` writes the same form: it is read back by `fit --plan` above.
        let planFile = try String(contentsOfFile: folder.file("plan.json"), encoding: .utf8)
        #expect(planFile.hasPrefix("{\n  \"") && Self.unsortedKey(in: planFile) == nil && !planFile.contains(#"\/"#))
    }

    @Test func theOrderCheckSeesAKeyOutOfPlace() {
        let sorted = "{\n  \"a\" : [\n    {\n      \"x\" : 1,\n      \"y\" : 2\n    },\n    {\n      \"x\" : 3\n    }\n  ],\n  \"b\" : {\n    \"c\" : \"d\"\n  }\n}"
        #expect(Self.unsortedKey(in: sorted) == nil)
        #expect(Self.unsortedKey(in: "{\n  \"b\" : 1,\n  \"a\" : 2\n}") == "b before a")
        #expect(Self.unsortedKey(in: "{\n  \"a\" : {\n    \"y\" : 1,\n    \"x\" : 2\n  }\n}") == "y before x")
    }

    /// The first key that does not sort after the key before it in the same object, in pretty-printed JSON;
    /// nil when every object's keys are in order. An object's keys are the `"key" : ` lines one indent deeper
    /// than its brace; any line at a shallower indent ends the objects deeper than it.
    static func unsortedKey(in text: String) -> String? {
        var previous: [Int: String] = [:]
        for line in text.split(separator: "\n") {
            let indent = line.prefix { $0 == " " }.count
            previous = previous.filter { $0.key <= indent }
            let body = line.dropFirst(indent)
            guard body.hasPrefix("\""), let close = body.dropFirst().firstIndex(of: "\""),
                  body[body.index(after: close)...].hasPrefix(" : ") else { continue }
            let key = String(body[body.index(after: body.startIndex)..<close])
            if let before = previous[indent], !(before < key) { return "\(before) before \(key)" }
            previous[indent] = key
        }
        return nil
    }
}
