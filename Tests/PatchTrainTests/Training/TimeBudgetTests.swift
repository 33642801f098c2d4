import Testing
@testable import PatchTrain

/// `fit --time` durations as the user writes them, and the pacing arithmetic of a run laid over time.
@Suite struct TimeBudgetTests {
    @Test(arguments: [("90s", 90.0), ("45m", 2700), ("2h", 7200), ("1h30m", 5400), ("1h0m5s", 3605), ("20m", 1200)])
    func durationsParse(text: String, seconds: Double) {
        #expect(TimeBudget(parsing: text)?.seconds == seconds)
    }

    @Test(arguments: ["", "5", "m", "0s", "1.5h", "30m1h", "1m1m", "-5m", "1h 30m", "99999999999999999999h", "90x"])
    func malformedDurationsAreRefused(text: String) {
        #expect(TimeBudget(parsing: text) == nil, "\(text) should not parse")
    }

    @Test func formatting() {
        #expect(TimeBudget.format(42) == "42s")
        #expect(TimeBudget.format(1182) == "19m 42s")
        #expect(TimeBudget.format(3900) == "1h 05m")
    }

    @Test func theScheduleOverTimeEndsAtZeroAndMatchesTheStepFormAtTheSameShare() {
        for schedule in LearningRateSchedule.allCases {
            #expect(schedule.rate(base: 1e-3, progress: 0.3) == schedule.rate(base: 1e-3, step: 3, totalSteps: 10))
        }
        #expect(LearningRateSchedule.poly.rate(base: 1e-3, progress: 1) == 0)
        #expect(LearningRateSchedule.poly.rate(base: 1e-3, progress: .nan) == 1e-3)
    }

    @Test func thePacerKeepsBackTimeForTheEndAndStopsStepsThatWouldRunIntoIt() {
        let clock = ManualClock()
        let pacer = TimePacer(budget: 100, usedBefore: 10, clock: clock, validationFlops: 4e9)
        // Nothing measured: the first step is allowed, the reserve is the assumed saves alone.
        #expect(pacer.fitsStep(stage: 0, flops: 1e9))
        #expect(pacer.reserve == 2 * TimePacer.assumedSaveSeconds * TimePacer.measuredMargin)
        pacer.recordStep(stage: 0, seconds: 5, flops: 1e9)
        // Validation estimated from throughput (4 GFLOP at 0.2 GFLOP/s = 20 s, with the wider margin).
        #expect(abs(pacer.reserve - (20 * TimePacer.estimatedMargin + 2 * TimePacer.assumedSaveSeconds * TimePacer.measuredMargin)) < 1e-9)
        clock.seconds = 50
        // 60 used + 6 for the step + 34.8 kept back > 100.
        #expect(!pacer.fitsStep(stage: 0, flops: 1e9))
        clock.seconds = 40
        #expect(pacer.fitsStep(stage: 0, flops: 1e9))
        #expect(abs(pacer.progress - 0.5) < 1e-12)
        // A stage not yet trained in: its FLOPs at the measured throughput, with the wider margin (10 GFLOP: 75 s).
        #expect(!pacer.fitsStep(stage: 1, flops: 10e9))
        // A measured validation replaces the estimate.
        pacer.recordValidation(seconds: 2)
        #expect(abs(pacer.reserve - (2 * TimePacer.measuredMargin + 2 * TimePacer.assumedSaveSeconds * TimePacer.measuredMargin)) < 1e-9)
    }
}

/// A clock a test sets: a run laid over time becomes reproducible.
final class ManualClock: RunClock, @unchecked Sendable {
    var seconds: Double = 0
}
