/// Per-class overlap counts between a predicted and a true label map, accumulated plane by plane, and the Dice
/// they give: `2·TP / (2·TP + FP + FN)`, with 1 when a class is absent from both (nothing to find, nothing found).
public struct ClassOverlap: Sendable, Equatable {
    public private(set) var truePositives: [Int]
    public private(set) var falsePositives: [Int]
    public private(set) var falseNegatives: [Int]

    public init(classes: Int) {
        truePositives = [Int](repeating: 0, count: classes)
        falsePositives = truePositives
        falseNegatives = truePositives
    }

    public var classes: Int { truePositives.count }

    public mutating func add(predicted: UnsafePointer<UInt8>, truth: UnsafePointer<UInt8>, count: Int) {
        let c = classes
        for v in 0..<count {
            let p = Int(predicted[v]), t = min(Int(truth[v]), c - 1)
            if p == t {
                truePositives[p] += 1
            } else {
                falsePositives[p] += 1
                falseNegatives[t] += 1
            }
        }
    }

    public func dice(_ k: Int) -> Double {
        let denominator = 2 * truePositives[k] + falsePositives[k] + falseNegatives[k]
        return denominator == 0 ? 1 : Double(2 * truePositives[k]) / Double(denominator)
    }

    public var dicePerClass: [Double] { (0..<classes).map(dice) }
}
