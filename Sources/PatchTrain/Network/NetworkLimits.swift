/// The networks patchtrain builds. Anything outside these ranges is refused where it enters (a plan, a weights
/// file, an option) instead of reaching a precondition or an allocation of petabytes.
public enum NetworkLimits {
    /// A one-output sigmoid head is not this network: binary segmentation is two classes.
    public static let classes = LabelClasses.range
    public static let inputChannels = 1...256
    public static let depth = 1...7
    public static let baseFilters = 1...1024
    /// Filters of the bottleneck (`baseFilters << depth`): its 3×3×3 weights grow with the square of this.
    public static let bottleneckFilters = 2...16384
}

extension UNetConfiguration {
    /// Throws `FieldProblem` (fields named as in `plan.json`) for the first value outside `NetworkLimits`.
    public func checkLimits(fieldPrefix prefix: String = "") throws {
        try FieldProblem.check(prefix + "classes", classes, in: NetworkLimits.classes)
        try FieldProblem.check(prefix + "inputChannels", inputChannels, in: NetworkLimits.inputChannels)
        try FieldProblem.check(prefix + "depth", depth, in: NetworkLimits.depth)
        try FieldProblem.check(prefix + "baseFilters", baseFilters, in: NetworkLimits.baseFilters)
        try FieldProblem.check(prefix + "baseFilters << depth", bottleneckFilters, in: NetworkLimits.bottleneckFilters)
    }
}
