import Foundation

/// Runs `body(worker, first, end)` on `workers` threads, each with a contiguous share `first ..< end` of
/// `0 ..< total`, with OpenBLAS single-threaded meanwhile: a kernel that parallelises its own tiles also parallelises
/// their gathers and scatters, and OpenBLAS's idle threads would spin against its workers. Workers write disjoint
/// memory only (their rows of the output, their slices of the workspace).
func forEachWorkerShare(workers: Int, of total: Int, _ body: (Int, Int, Int) -> Void) {
    guard workers > 1 else {
        body(0, 0, total)
        return
    }
    withoutActuallyEscaping(body) { escapable in
        let shared = UncheckedSendableWorkerBody(run: escapable)
        Matrix.withThreads(1) {
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                shared.run(w, w * total / workers, (w + 1) * total / workers)
            }
        }
    }
}

/// A worker body handed to `forEachWorkerShare`'s threads, which only ever touch disjoint memory.
struct UncheckedSendableWorkerBody: @unchecked Sendable {
    let run: (Int, Int, Int) -> Void
}

/// A closure handed to worker threads that only ever touch disjoint memory (the normalisation's channel groups).
struct UncheckedSendableClosure: @unchecked Sendable {
    let run: (Int) -> Void
}
