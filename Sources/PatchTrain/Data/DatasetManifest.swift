import Foundation

/// `manifest.json`: an explicit list of image/mask pairs, for data that does not sit in `images/` + `masks/`.
///
/// ```json
/// { "classes": 4,
///   "cases": [ { "id": "case_001", "image": "images/case_001.npy", "mask": "masks/case_001.npy" } ],
///   "validation": [ "case_001" ] }
/// ```
/// `classes` and `validation` are optional, and so is each case's `id` (default: the image's file stem).
/// Relative paths are relative to the folder holding the manifest. The full rules are in docs/formats.md.
struct DatasetManifest: Codable, Sendable, Equatable {
    struct Case: Codable, Sendable, Equatable {
        var id: String?
        var image: String
        var mask: String

        init(id: String? = nil, image: String, mask: String) {
            self.id = id
            self.image = image
            self.mask = mask
        }
    }

    var classes: Int?
    var cases: [Case]
    var validation: [String]?

    init(classes: Int? = nil, cases: [Case], validation: [String]? = nil) {
        self.classes = classes
        self.cases = cases
        self.validation = validation
    }

    /// Reads and decodes the manifest at `path`; any defect is an `InputError` naming the manifest.
    init(path: String) throws {
        let data = try RegularFile.contents(path)
        do {
            self = try JSONDecoder().decode(DatasetManifest.self, from: data)
        } catch let error as DecodingError {
            throw InputError(path, "malformed manifest (\(DatasetManifest.explain(error)))")
        }
        if let classes, let problem = LabelClasses.problem(classes) { throw InputError(path, "'classes' is \(problem)") }
        if cases.isEmpty { throw InputError(path, "manifest lists no cases") }
    }

    /// A short, lower-case account of what the decoder disliked, with the JSON path where it has one.
    private static func explain(_ error: DecodingError) -> String {
        func where_(_ path: [CodingKey]) -> String {
            let text = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "top level" : String(text.drop(while: { $0 == "." }))
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = where_(context.codingPath)
            return parent == "top level" ? "missing '\(key.stringValue)'" : "missing '\(key.stringValue)' in \(parent)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at \(where_(context.codingPath))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "bad value at \(where_(context.codingPath))"
        @unknown default:
            return "cannot decode"
        }
    }
}
