import Foundation

/// What a profiled part of a training step does, for the profile's sums by kind.
public enum StepWork: String, CaseIterable, Sendable, Codable {
    case convolutionForward = "convolution forward"
    case convolutionInputGradient = "convolution input gradient"
    case convolutionWeightGradient = "convolution weight gradient"
    case normalization = "normalisation"
    case pooling = "max pooling"
    case upsampling = "transposed convolution"
    case head = "1×1×1 head"
    case loss = "softmax + loss"
    case optimizer = "optimizer"
    case gradientExchange = "gradient exchange"
    case dataWait = "data wait"

    /// Whether the work is arithmetic (rated in GFLOP/s) rather than a pass over memory (GB/s).
    public var isArithmetic: Bool {
        switch self {
        case .convolutionForward, .convolutionInputGradient, .convolutionWeightGradient, .upsampling, .head: true
        default: false
        }
    }
}

/// Wall time of every part of training steps — each operation of the layer graph, split where one operation does
/// several kinds of work (a convolution's backward is normalisation, weight gradient and input gradient), plus the
/// optimizer, the gradient exchange and the wait for data — with the arithmetic or memory traffic of each, summed
/// over the steps profiled. Where a step's time goes, measured rather than guessed.
public final class StepProfile: @unchecked Sendable {
    public struct Entry: Sendable, Codable {
        public let name: String
        public let work: StepWork
        /// Floating-point operations (multiply and add counted separately) of one call.
        public let flops: Double
        /// Bytes of the tensors one call reads and writes (each counted once per pass over it).
        public let bytes: Double
        public fileprivate(set) var seconds = 0.0
        public fileprivate(set) var calls = 0
    }

    public private(set) var entries: [Entry] = []
    /// Optimizer steps profiled and their wall time in all.
    public private(set) var steps = 0
    public private(set) var stepSeconds = 0.0
    private var positions: [String: Int] = [:]

    public init() {}

    /// Runs `body` and adds its wall time to the entry `name`/`work`; with no profile, just runs it.
    @inline(__always)
    static func measure<T>(_ profile: StepProfile?, _ name: @autoclosure () -> String, _ work: StepWork,
                           flops: @autoclosure () -> Double = 0, bytes: @autoclosure () -> Double = 0,
                           _ body: () throws -> T) rethrows -> T {
        guard let profile else { return try body() }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        profile.add(name: name(), work: work, flops: flops(), bytes: bytes(), seconds: seconds)
        return result
    }

    func add(name: String, work: StepWork, flops: Double, bytes: Double, seconds: Double) {
        let key = "\(name)\u{1f}\(work.rawValue)"
        let position: Int
        if let known = positions[key] {
            position = known
        } else {
            position = entries.count
            positions[key] = position
            entries.append(Entry(name: name, work: work, flops: flops, bytes: bytes))
        }
        entries[position].seconds += seconds
        entries[position].calls += 1
    }

    /// Counts one whole optimizer step of `seconds`.
    public func completeStep(seconds: Double) {
        steps += 1
        stepSeconds += seconds
    }

    /// The entries summed by kind, in `StepWork` order, leaving out kinds that never ran.
    public var byWork: [Entry] {
        StepWork.allCases.compactMap { work in
            let parts = entries.filter { $0.work == work }
            guard !parts.isEmpty else { return nil }
            // Per-call figures of a sum: totals over all its calls, with calls = 1, so rates divide the same way.
            var sum = Entry(name: work.rawValue, work: work,
                            flops: parts.reduce(0) { $0 + $1.flops * Double($1.calls) },
                            bytes: parts.reduce(0) { $0 + $1.bytes * Double($1.calls) })
            sum.seconds = parts.reduce(0) { $0 + $1.seconds }
            sum.calls = 1
            return sum
        }
    }

    /// Seconds of all entries together; the rest of `stepSeconds` is unprofiled (bookkeeping between operations).
    public var profiledSeconds: Double { entries.reduce(0) { $0 + $1.seconds } }
}

extension StepProfile.Entry {
    /// GFLOP/s over all calls (0 for work without arithmetic).
    public var gflopsPerSecond: Double { seconds > 0 ? flops * Double(calls) / seconds / 1e9 : 0 }
    /// GB/s of tensor traffic over all calls.
    public var gigabytesPerSecond: Double { seconds > 0 ? bytes * Double(calls) / seconds / 1e9 : 0 }
}
