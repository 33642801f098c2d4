import Foundation

/// The content check of a whole dataset: every case's `CaseScan`, and the totals.
///
/// Cases are scanned in parallel, at most `concurrency` at a time (default 2): each scan holds one x-plane of
/// floats and releases its mapped pages as it goes, so memory stays bounded by the number in flight.
public struct DatasetScan: Sendable {
    /// In the order the cases were given.
    public let cases: [CaseScan]
    /// The classes checked against, or (when none were given) as many as the largest label needs.
    public let classes: Int
    /// Every case's problems, in case order.
    public var problems: [InputError] { cases.flatMap(\.problems) }

    /// Voxels per class over all cases.
    public var classVoxels: [Int] {
        (0..<classes).map { k in cases.reduce(0) { $0 + (k < $1.classVoxels.count ? $1.classVoxels[k] : 0) } }
    }

    /// Each class's share of all counted voxels.
    public var classFractions: [Double] {
        let counts = classVoxels
        let total = counts.reduce(0, +)
        return counts.map { total > 0 ? Double($0) / Double(total) : 0 }
    }

    /// Reports `(done, total, caseID)` after each case; calls never overlap.
    public typealias Progress = @Sendable (_ done: Int, _ total: Int, _ caseID: String) -> Void

    /// Scans `cases` (each image and mask of the same spatial shape, as `Dataset.check()` guarantees).
    /// `classes` as for `CaseScan`; `progress` is called once per finished case, from a worker thread.
    public init(_ cases: [TrainingCase], classes: Int?, concurrency: Int = 2, progress: Progress? = nil) {
        let work = ScanWork(cases: cases, progress: progress)
        let workers = max(1, min(concurrency, cases.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let index = work.take() {
                work.finish(index, CaseScan(cases[index], classes: classes))
            }
        }
        self.cases = work.results
        let needed = self.cases.map(\.classVoxels.count).max() ?? 0
        self.classes = classes ?? needed
    }
}

/// The queue the scan workers share: hands out case indices and collects results under one lock.
private final class ScanWork: @unchecked Sendable {
    private let lock = NSLock()
    private let ids: [String]
    private let progress: DatasetScan.Progress?
    private var next = 0
    private var done = 0
    private var slots: [CaseScan?]

    init(cases: [TrainingCase], progress: DatasetScan.Progress?) {
        ids = cases.map(\.id)
        self.progress = progress
        slots = [CaseScan?](repeating: nil, count: cases.count)
    }

    func take() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < ids.count else { return nil }
        next += 1
        return next - 1
    }

    func finish(_ index: Int, _ scan: CaseScan) {
        lock.lock()
        defer { lock.unlock() }
        slots[index] = scan
        done += 1
        // Under the lock, so that progress lines never interleave.
        progress?(done, ids.count, ids[index])
    }

    var results: [CaseScan] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0! }
    }
}
