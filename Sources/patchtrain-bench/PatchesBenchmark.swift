import Foundation
import PatchTrain

/// Patch throughput through the sampler and prefetcher, and the memory the data pipeline really holds:
/// peak RSS after `--count` patches must stay below the patch pool plus 150 MiB for the runtime, the mapped
/// pages of the patch being read, and the foreground indexes.
enum PatchesBenchmark: Benchmark {
    static let name = "patches"
    static let summary = "patches/s and peak RSS of sampling through the prefetcher"
    static let usage = "--data DIR (a dataset folder or manifest) [--patch 128] [--count 1000] [--depth 2] [--micro-batch 1] [--seed 0] [--foreground 0.333] [--cache DIR]"

    /// Room for everything but the pool: runtime and libraries, one patch's mapped pages, indexes, scratch.
    static let allowance = 150 << 20

    static func run(_ options: BenchOptions) throws -> Bool {
        try options.checkOnly(["data", "patch", "count", "depth", "micro-batch", "seed", "foreground", "cache"])
        let folder = try options.string("data")
        guard let patch = Extent3(parsing: options.string("patch", default: "128")) else {
            throw BenchOptions.UsageError(message: "--patch must be N or XxYxZ")
        }
        let count = try options.int("count", default: 1000)
        let depth = try options.int("depth", default: 2)
        let microBatch = try options.int("micro-batch", default: 1)
        let seed = UInt64(try options.int("seed", default: 0, atLeast: 0))
        let foreground = try options.double("foreground", default: PatchSampler.defaultForegroundFraction)
        guard (0...1).contains(foreground) else { throw BenchOptions.UsageError(message: "--foreground must be in 0...1") }
        let cache = try ForegroundIndexCache(folder: options.string("cache", default: "").isEmpty ? nil : options.string("cache"))

        let dataset = try Dataset(path: folder)
        let cases = try dataset.openCases()
        let channels = cases[0].image.shape.channels
        print("data: \(cases.count) cases, image \(cases[0].image.shape) \(cases[0].image.elementType), mask \(cases[0].mask.shape) \(cases[0].mask.elementType)")

        // Indexes first, so the timed loop measures steady-state sampling (a cold index is a one-off scan).
        let indexStart = Date()
        var computed = 0
        for trainingCase in cases where try cache.lookup(trainingCase.mask).source == .computed { computed += 1 }
        let indexSeconds = Date().timeIntervalSince(indexStart)
        print(String(format: "foreground indexes: %d computed, %d from cache, %.2f s", computed, cases.count - computed, indexSeconds))

        let planned = DataPipelineMemory.count(depth: depth, microBatch: microBatch, patch: patch, channels: channels,
                                               packReading: dataset.pack?.readingBytes)
        let rssBefore = ProcessMemory.residentBytes
        let peakBefore = ProcessMemory.peakResidentBytes
        let sampler = PatchSampler(cases: cases, patch: patch, seed: seed, foregroundFraction: foreground, indexCache: cache)
        let start = Date()
        let prefetcher = Prefetcher(sampler: sampler, depth: depth, microBatch: microBatch)
        let batches = (count + microBatch - 1) / microBatch
        var foregroundCentred = 0
        for _ in 0..<batches {
            let batch = try prefetcher.next()
            for patch in batch.patches where patch.centredOnForeground { foregroundCentred += 1 }
        }
        let seconds = Date().timeIntervalSince(start)
        prefetcher.stop()

        let sampled = batches * microBatch
        let patchBytes = Patch.byteCount(extent: patch, channels: channels)
        let peak = ProcessMemory.peakResidentBytes
        let limit = (depth + 1) * microBatch * patchBytes + (planned.packReading ?? 0) + allowance
        let mib = { (bytes: Int) in String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
        print("patch \(patch)x\(channels) (\(mib(patchBytes)) fp16 image + uint8 labels), depth \(depth), micro-batch \(microBatch)")
        print(String(format: "sampled %d patches in %.2f s: %.1f patches/s (%.1f ms/patch); %.1f%% centred on foreground",
                     sampled, seconds, Double(sampled) / seconds, 1000 * seconds / Double(sampled),
                     100 * Double(foregroundCentred) / Double(sampled)))
        print("data pipeline memory (planned): \(mib(planned.total)) = pool \(mib(planned.patchPool)) + scratch \(mib(planned.samplerScratch)) + indexes ≤ \(mib(planned.foregroundIndexes)) + mapped pages ≤ \(mib(planned.mappedPages))\(planned.packReading.map { " + pack caches and table \(mib($0))" } ?? "")")
        print("RSS before sampling \(mib(rssBefore)) (peak so far \(mib(peakBefore))), after \(mib(ProcessMemory.residentBytes)); peak RSS \(mib(peak))")
        let passed = peak < limit
        print("\(passed ? "PASS" : "FAIL"): peak RSS \(mib(peak)) \(passed ? "<" : "≥") (depth + 1) × micro-batch × patch + pack reading + 150 MiB = \(mib(limit))")
        return passed
    }
}
