import Foundation

/// The one JSON form of everything the CLI writes as JSON (every `--json` result, `plan --out`): pretty-printed,
/// keys sorted, `/` unescaped (paths stay readable), and a non-finite number written as a string rather than
/// making the encoder throw at the end of a long run.
enum JSONOutput {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static func data(_ value: some Encodable) throws -> Data { try encoder().encode(value) }

    static func text(_ value: some Encodable) throws -> String { String(decoding: try data(value), as: UTF8.self) }
}
