/// How many classes a segmentation can have: labels are stored as uint8 (0...255), and softmax over one class is
/// constant (binary segmentation is two classes: background and foreground).
public enum LabelClasses {
    public static let range = 2...256

    /// The problem with `count` classes, or nil when it is in `range`.
    public static func problem(_ count: Int) -> String? {
        range.contains(count) ? nil : "\(count) classes: must be \(range.lowerBound)...\(range.upperBound) (labels are uint8; binary segmentation is 2 classes)"
    }
}
