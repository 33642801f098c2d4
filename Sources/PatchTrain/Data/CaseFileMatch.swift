/// Two sets of files keyed by case id, matched up: the ids both sides have, and those only one side has, each in
/// byte order of the id, so that listings and messages come out the same on every file system.
struct CaseFileMatch {
    var matched: [(id: String, first: String, second: String)] = []
    var onlyFirst: [(id: String, path: String)] = []
    var onlySecond: [(id: String, path: String)] = []

    init(_ first: [String: String], _ second: [String: String]) {
        for (id, path) in first.sorted(by: CaseFileMatch.byteOrder) {
            if let other = second[id] {
                matched.append((id, path, other))
            } else {
                onlyFirst.append((id, path))
            }
        }
        for (id, path) in second.sorted(by: CaseFileMatch.byteOrder) where first[id] == nil {
            onlySecond.append((id, path))
        }
    }

    private static func byteOrder(_ a: (key: String, value: String), _ b: (key: String, value: String)) -> Bool {
        a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
    }
}
