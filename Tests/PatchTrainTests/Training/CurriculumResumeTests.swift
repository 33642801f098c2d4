import Foundation
import Testing
@testable import PatchTrain

/// A run stopped in the middle of a patch-size curriculum and continued with a resume ends with the same weights,
/// optimizer state and training state, bit for bit, as the run that was never stopped: laid over steps, and laid
/// over a time budget (on a clock that advances 10 s with each step the trainer completes, so that the run is
/// reproducible).
@Suite(.serialized, .kernelExclusive) struct CurriculumResumeTests {
    /// Two stages on the tiny network: 16³ at 2 × 1, then 32³ at 1 × 2, half the run each.
    static func curriculumPlan() -> MemoryPlan {
        let planner = MemoryPlanner(configuration: TinyTraining.configuration(), volume: Extent3(32, 32, 32), effectiveBatch: 2,
                                    fixed: FixedMemory(runtimeBytes: 40 << 20, source: "test"), workspaceBytes: KernelWorkspace.bytes)
        var plan = planner.plan(patch: Extent3(32, 32, 32), microBatch: 1, budget: 1 << 30)
        let small = planner.plan(patch: Extent3(16, 16, 16), microBatch: 2, budget: 1 << 30)
        plan.stages = [CurriculumStage(plan: small, share: 0.5), CurriculumStage(plan: plan, share: 0.5)]
        plan.validationBytes = ValidationMemory(plan: plan).extraBytes
        return plan
    }

    final class Setup {
        let folder = TemporaryFolder("patchtrain-curriculum")
        let training: [TrainingCase]
        let validation: [TrainingCase]
        let plan = CurriculumResumeTests.curriculumPlan()

        init() throws {
            let synth = try CLIRunner.run(["synth", "--out", folder.file("data"), "--cases", "3", "--shape", "32x32x32", "--seed", "5"])
            guard synth.status == 0 else { throw CLIRunnerError("synth failed: \(synth.stderr)") }
            let split = try Dataset(path: folder.file("data"), split: ValidationSplit(parsing: "1")).openSplit()
            training = split.training
            validation = split.validation
        }

        func configuration(steps: Int?, time: Double?) throws -> RunConfiguration {
            var c = RunConfiguration(data: folder.file("data"), cases: training.map(\.id), steps: 6, stepsPerEpoch: 3,
                                     learningRate: 2e-3, schedule: .poly, loss: .diceCrossEntropy, augmentation: .standard, seed: 11,
                                     effectiveBatch: 2, budgetBytes: plan.budgetBytes, checkpointEvery: 0)
            try c.setLength(steps: steps, epochs: nil, time: time.map { TimeBudget(seconds: $0) })
            c.validationCases = validation.map(\.id)
            c.validationSplit = "1"
            c.validationEvery = time == nil ? 3 : 0
            return c
        }

        /// Runs to the end in `name`; with `stopAfter`, stops there first and resumes in a fresh run object.
        /// Returns the steps' losses and stages as the metrics recorded them.
        func run(_ name: String, steps: Int?, time: Double?, stopAfter: Int?) throws -> [StepRecord] {
            // The first run object is let go before the resume: it holds the run folder's lock.
            let outcome: TrainingRun.Outcome = try {
                let clock = StepClock()
                let stop = StopRequest()
                let first = try TrainingRun.start(in: folder.file(name), plan: plan, cases: training, validationCases: validation,
                                                  configuration: configuration(steps: steps, time: time), stopRequest: stop, clock: clock)
                clock.trainer = first.trainer
                first.onStep = { record in
                    if record.step == stopAfter { stop.request(signal: SIGTERM) }
                }
                return try first.run()
            }()
            if stopAfter != nil {
                #expect(outcome == .stopped(signal: SIGTERM))
                let resumedClock = StepClock()
                let resumed = try TrainingRun.resume(folder.file(name), clock: resumedClock)
                resumedClock.start = resumed.firstStep
                resumedClock.trainer = resumed.trainer
                #expect(try resumed.run() == .completed)
            } else {
                #expect(outcome == .completed)
            }
            var records: [StepRecord] = []
            try RunMetrics.forEachRecord(inJSONL: "\(folder.file(name))/metrics.jsonl") { records.append($0) }
            return records
        }

        func expectSameCheckpoints(_ a: String, _ b: String) {
            for file in Checkpoint.files {
                let x = FileManager.default.contents(atPath: folder.file("\(a)/last/\(file)"))
                let y = FileManager.default.contents(atPath: folder.file("\(b)/last/\(file)"))
                #expect(x != nil && x == y, "last/\(file) differs between the straight and the resumed run")
            }
        }
    }

    @Test func resumingInTheFirstStageOfAStepRunIsBitExact() throws {
        let setup = try Setup()
        let straight = try setup.run("straight", steps: 6, time: nil, stopAfter: nil)
        let split = try setup.run("split", steps: 6, time: nil, stopAfter: 2)
        #expect(straight.map(\.stage) == [0, 0, 0, 1, 1, 1])
        #expect(split.map(\.loss) == straight.map(\.loss))
        #expect(split.map(\.stage) == straight.map(\.stage))
        setup.expectSameCheckpoints("straight", "split")
    }

    @Test func resumingInTheSecondStageOfATimedRunIsBitExactAndContinuesItsBudget() throws {
        let setup = try Setup()
        let straight = try setup.run("straight", steps: nil, time: 400, stopAfter: nil)
        // 10 s a step (the first step of the second stage estimated from its FLOPs, 8× the first's), less what is kept
        // back for the end; the second stage from half the training time on.
        let stages = straight.compactMap(\.stage)
        #expect(stages.count == straight.count && straight.count >= 4)
        let second = try #require(stages.firstIndex(of: 1), "the run never reached its second stage: \(stages)")
        #expect(stages == Array(repeating: 0, count: second) + Array(repeating: 1, count: straight.count - second))
        // Stopped one step into the second stage.
        let split = try setup.run("split", steps: nil, time: 400, stopAfter: second + 1)
        #expect(split.map(\.loss) == straight.map(\.loss))
        #expect(split.map(\.learningRate) == straight.map(\.learningRate))
        // The schedule ran down over the time.
        #expect(straight.last!.learningRate < straight.first!.learningRate * 0.4)
        // Validated as the run passed shares of its time, and after the last step.
        #expect(straight.filter { $0.validationDice != nil }.count >= 2 && straight.last?.validationDice != nil)
        setup.expectSameCheckpoints("straight", "split")
        let state = try Checkpoint.readState(of: setup.folder.file("split/last"))
        #expect(state.timeUsedSeconds == Double(10 * straight.count) && state.stage == 1)
    }
}

/// 10 s for every step `trainer` has completed since `start`.
final class StepClock: RunClock, @unchecked Sendable {
    var trainer: Trainer?
    var start = 0
    var seconds: Double { Double(10 * ((trainer?.completedSteps ?? start) - start)) }
}
