import Foundation
import Testing
@testable import PatchTrain

/// `mpirun -np 2 patchtrain fit` against one process, on two 32³ synthetic cases under the tiny network (base 4
/// filters, 16³ patches), cross-entropy with instance norm: the setting where accumulating micro-batches is exact.
@Suite(.serialized, .kernelExclusive, .enabled(if: MPIRunner.isAvailable, MPIRunner.unavailableReason))
struct DataParallelFitTests {
    static let steps = 5
    static let seed = "3"

    final class Setup {
        let folder = TemporaryFolder("patchtrain-mpi")
        var data: String { folder.file("data") }
        /// Each of 2 ranks: micro-batch 1, no accumulation.
        var rankPlan: String { folder.file("ranks.json") }
        /// One process: micro-batch 1, accumulation 2 (the same effective batch).
        var singlePlan: String { folder.file("single.json") }
        let plan: MemoryPlan

        init() throws {
            let synth = try CLIRunner.run(["synth", "--out", folder.file("data"), "--cases", "2", "--shape", "32x32x32", "--seed", "4"])
            guard synth.status == 0 else { throw CLIRunnerError("synth failed: \(synth.stderr)") }
            var ranks = TinyTraining.plan(microBatch: 1, accumulation: 1, normalization: .instance, volume: Extent3(32, 32, 32))
            ranks.ranks = 2
            ranks.communicationBytes = DataParallel.communicationBytes(ranks: 2)
            plan = ranks
            try TinyTraining.writePlan(ranks, to: rankPlan)
            try TinyTraining.writePlan(TinyTraining.plan(microBatch: 1, accumulation: 2, normalization: .instance, volume: Extent3(32, 32, 32)),
                                       to: singlePlan)
        }

        func fit(plan: String, out: String, _ more: [String]) -> [String] {
            ["fit", "--data", data, "--plan", plan, "--out", folder.file(out), "--seed", DataParallelFitTests.seed,
             "--loss", "ce", "--schedule", "constant", "--checkpoint-every", "0"] + more
        }

        func losses(_ run: String) -> [Double] {
            let text = (try? String(contentsOfFile: folder.file("\(run)/metrics.jsonl"), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["loss"] as? Double
            }
        }

        func weights(_ run: String) throws -> ParameterStore {
            let graph = LayerGraph(configuration: plan.configuration, patch: plan.patch, microBatch: 1)
            let store = ParameterStore(specs: graph.parameters)
            _ = try Checkpoint.load(from: folder.file("\(run)/last"), into: store)
            return store
        }
    }

    /// Max |Δ| over every float of two runs' weights, and how many differ by more than 1e-6 (NaN counts as +∞).
    static func compare(_ a: ParameterStore, _ b: ParameterStore) -> (maximum: Float, beyond: Int, count: Int) {
        var maximum: Float = 0, beyond = 0
        for i in 0..<a.floatCount {
            let d = abs(a.values[i] - b.values[i])
            maximum = d.isNaN ? .infinity : max(maximum, d)
            if !(d <= 1e-6) { beyond += 1 }
        }
        return (maximum, beyond, a.floatCount)
    }

    /// The two runs draw the same patches from the same starting weights and sum the same two finished gradients
    /// in the same order (one process sets its first micro-batch's gradient aside while it computes the second,
    /// then adds them; the ranks' allreduce adds two finished gradients), so the weights agree to 1e-6 after every
    /// step. Adam divides each gradient element by its own magnitude, so any difference in summation order would
    /// show within a few steps, at up to the learning rate (1e-4) where a gradient is near zero.
    @Test func twoRanksTrainLikeOneProcessAccumulatingTwo() throws {
        let setup = try Setup()
        for steps in [1, DataParallelFitTests.steps] {
            let distributed = try MPIRunner.run(ranks: 2, setup.fit(plan: setup.rankPlan, out: "ranks\(steps)", ["--steps", "\(steps)"]))
            #expect(distributed.status == 0, "stderr: \(distributed.stderr)")
            let single = try CLIRunner.run(setup.fit(plan: setup.singlePlan, out: "single\(steps)", ["--steps", "\(steps)"]))
            #expect(single.status == 0, "stderr: \(single.stderr)")
            #expect(distributed.stdout.components(separatedBy: "trained ").count == 2, "one summary, from rank 0: \(distributed.stdout)")
        }
        let rankLosses = setup.losses("ranks5"), singleLosses = setup.losses("single5")
        #expect(rankLosses.count == DataParallelFitTests.steps && singleLosses.count == DataParallelFitTests.steps)
        for (a, b) in zip(rankLosses, singleLosses) { #expect(abs(a - b) <= 1e-6 * abs(b), "loss \(a) (2 ranks) vs \(b) (one process)") }

        for steps in [1, DataParallelFitTests.steps] {
            let difference = DataParallelFitTests.compare(try setup.weights("ranks\(steps)"), try setup.weights("single\(steps)"))
            #expect(difference.beyond == 0 && difference.maximum.isFinite,
                    "after \(steps) step(s), \(difference.beyond) of \(difference.count) weights differ by more than 1e-6 (max \(difference.maximum))")
            print("2 ranks × micro-batch 1 vs 1 process × accumulation 2, after \(steps) step(s): max |Δw| \(difference.maximum) over \(difference.count) weights")
        }

        // Rank 0 alone wrote the run folder; the configuration says how the batch is made.
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: setup.folder.file("ranks5/config.json")))) as? [String: Any]
        #expect(config?["ranks"] as? Int == 2 && config?["effectiveBatch"] as? Int == 2)
    }

    @Test func resumeUnderTwoRanksIsBitExact() throws {
        let setup = try Setup()
        let straight = try MPIRunner.run(ranks: 2, setup.fit(plan: setup.rankPlan, out: "straight", ["--steps", "4"]))
        #expect(straight.status == 0, "stderr: \(straight.stderr)")
        let first = try MPIRunner.run(ranks: 2, setup.fit(plan: setup.rankPlan, out: "split", ["--steps", "2"]))
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let resumed = try MPIRunner.run(ranks: 2, ["fit", "--resume", setup.folder.file("split"), "--steps", "4"])
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
        for file in Checkpoint.files {
            let a = FileManager.default.contents(atPath: setup.folder.file("straight/last/\(file)"))
            let b = FileManager.default.contents(atPath: setup.folder.file("split/last/\(file)"))
            #expect(a != nil && a == b, "last/\(file) differs between the straight and the resumed 2-rank run")
        }
        #expect(setup.losses("split") == setup.losses("straight"))

        // The plan fixes the number of ranks: one process cannot continue a 2-rank run.
        let alone = try CLIRunner.run(["fit", "--resume", setup.folder.file("split"), "--steps", "5"])
        #expect(alone.status == 2 && alone.stderr.contains("planned for 2 rank(s)"), "stderr: \(alone.stderr)")
    }

    /// A rank killed outright: Open MPI ends the job, naming the rank; `last/` is the last whole checkpoint and a
    /// 2-rank resume continues from it.
    @Test func aRankKilledEndsTheJobAndLastStaysLoadable() throws {
        let setup = try Setup()
        let running = try MPIRunner.start(ranks: 2, setup.fit(plan: setup.rankPlan, out: "run", ["--steps", "100000"]) + ["--checkpoint-every", "2"])
        let saved = running.waitUntil(seconds: 120) { (try? Checkpoint.readState(of: setup.folder.file("run/last")))?.step ?? 0 >= 2 }
        #expect(saved, "no checkpoint; stderr: \(running.stderrSoFar)")
        let rank1 = try #require(DataParallelFitTests.rank(1, under: running.process.processIdentifier), "rank 1's process not found")
        kill(rank1, SIGKILL)
        let killed = Date()
        let result = try running.wait()
        let seconds = Date().timeIntervalSince(killed)
        #expect(result.status != 0 && seconds < 60, "exit \(result.status) after \(seconds) s")
        #expect(result.stderr.contains("rank 1"), "the error names the rank: \(result.stderr)")
        let state = try setup.weights("run")
        #expect(state.floatCount > 0)
        let step = try Checkpoint.readState(of: setup.folder.file("run/last")).step
        let resumed = try MPIRunner.run(ranks: 2, ["fit", "--resume", setup.folder.file("run"), "--steps", "\(step + 1)"])
        #expect(resumed.status == 0, "resume after the kill: \(resumed.stderr)")
    }

    /// SIGTERM or SIGINT to every rank, as a cluster's scheduler sends it (`scancel`, a job's time limit): the ranks
    /// agree to stop after the same step, rank 0 saves `last/`, and the job (so `mpirun`) exits 128 + the signal.
    @Test(arguments: [SIGTERM, SIGINT])
    func aSignalToTheRanksSavesAndExitsWithItsCode(signal: Int32) throws {
        let setup = try Setup()
        let running = try MPIRunner.start(ranks: 2, setup.fit(plan: setup.rankPlan, out: "run", ["--steps", "100000"]))
        let training = running.waitUntil(seconds: 120) { setup.losses("run").count >= 2 }
        #expect(training, "no steps; stderr: \(running.stderrSoFar)")
        let ranks = [0, 1].compactMap { DataParallelFitTests.rank($0, under: running.process.processIdentifier) }
        #expect(ranks.count == 2, "the ranks' processes were not found")
        for rank in ranks { kill(rank, signal) }
        let ended = running.waitUntil(seconds: 60) { !running.process.isRunning }
        if !ended { running.send(SIGKILL) }
        let result = try running.wait()
        #expect(ended && result.status == 128 + signal, "exit \(result.status); stderr: \(result.stderr)")
        #expect(result.stderr.contains("stopped by \(signal == SIGTERM ? "SIGTERM" : "SIGINT") after step"), "stderr: \(result.stderr)")
        let step = try Checkpoint.readState(of: setup.folder.file("run/last")).step
        #expect(step >= 2)
        let resumed = try MPIRunner.run(ranks: 2, ["fit", "--resume", setup.folder.file("run"), "--steps", "\(step + 1)"])
        #expect(resumed.status == 0, "resume after the signal: \(resumed.stderr)")
    }

    /// SIGTERM to `mpirun` itself: Open MPI waits `odls_base_sigkill_timeout` seconds, passes SIGTERM on to the
    /// ranks and sends SIGKILL as long again later, so the ranks save when that leaves time for a step and a
    /// checkpoint. `mpirun`'s own exit status is then Open MPI's (1), not the ranks'.
    @Test func aSignalToMpirunSavesWhenTheLauncherWaits() throws {
        let setup = try Setup()
        let running = try MPIRunner.start(ranks: 2, setup.fit(plan: setup.rankPlan, out: "run", ["--steps", "100000"]),
                                          launcherOptions: ["--mca", "odls_base_sigkill_timeout", "5"])
        let training = running.waitUntil(seconds: 120) { setup.losses("run").count >= 2 }
        #expect(training, "no steps; stderr: \(running.stderrSoFar)")
        running.send(SIGTERM)
        let ended = running.waitUntil(seconds: 60) { !running.process.isRunning }
        if !ended { running.send(SIGKILL) }
        let result = try running.wait()
        #expect(ended && result.status != 0, "exit \(result.status); stderr: \(result.stderr)")
        #expect(result.stderr.contains("stopped by SIGTERM after step"), "stderr: \(result.stderr)")
        #expect(try Checkpoint.readState(of: setup.folder.file("run/last")).step >= 2)
    }

    /// `mpirun -np 2 patchtrain infer`: the cases split between the ranks, every output file what one process writes.
    @Test func inferOverTwoRanksWritesWhatOneProcessWrites() throws {
        let setup = try Setup()
        let fit = try CLIRunner.run(setup.fit(plan: setup.singlePlan, out: "model", ["--steps", "1"]))
        #expect(fit.status == 0, "stderr: \(fit.stderr)")
        let infer = ["infer", "--model", setup.folder.file("model/last"), "--input", setup.folder.file("data/images"), "--ram", "1G"]
        let alone = try CLIRunner.run(infer + ["--out", setup.folder.file("alone")])
        #expect(alone.status == 0, "stderr: \(alone.stderr)")
        let ranks = try MPIRunner.run(ranks: 2, infer + ["--out", setup.folder.file("ranks")])
        #expect(ranks.status == 0, "stderr: \(ranks.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: setup.folder.file("alone")).sorted()
        let rankFiles = try FileManager.default.contentsOfDirectory(atPath: setup.folder.file("ranks")).sorted()
        #expect(files.count == 2 && rankFiles == files)
        for file in files {
            #expect(FileManager.default.contents(atPath: setup.folder.file("alone/\(file)")) == FileManager.default.contents(atPath: setup.folder.file("ranks/\(file)")),
                    "\(file) differs")
        }
        #expect(ranks.stdout.contains("case_000") && ranks.stdout.contains("case_001"), "rank 0's summary lists every case: \(ranks.stdout)")
    }

    /// The pid of the `patchtrain` process that is rank `rank` of the job `mpirun` (pid `launcher`) started.
    static func rank(_ rank: Int, under launcher: Int32) -> Int32? {
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for name in processes {
            guard let pid = Int32(name),
                  let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                  status.split(separator: "\n").contains(where: { $0.hasPrefix("PPid:") && $0.hasSuffix("\t\(launcher)") }),
                  let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
            else { continue }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }
}
