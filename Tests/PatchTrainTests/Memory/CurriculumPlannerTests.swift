import Testing
@testable import PatchTrain

/// The curriculum's stage rule: stages grow, every stage fits the budget, the final stage is the patch the planner
/// picks without a curriculum (or the fixed patch), and the run's memory is planned for its most demanding stage.
@Suite struct CurriculumPlannerTests {
    static func planner(volume: Extent3 = Extent3(240, 240, 160)) -> MemoryPlanner {
        MemoryPlanner(configuration: UNetConfiguration(inputChannels: 1, classes: 4, normalization: .instance), volume: volume,
                      fixed: FixedMemory(runtimeBytes: 40 << 20, source: "test"), workspaceBytes: KernelWorkspace.bytes)
    }

    @Test(arguments: [1 << 30, 2 << 30, 4 << 30, 8 << 30])
    func stagesGrowFitAndEndAtThePlannersPick(budget: Int) throws {
        let planner = Self.planner()
        guard case .fits(let single) = planner.choose(budget: budget), case .fits(let staged) = planner.chooseCurriculum(budget: budget) else {
            Issue.record("nothing fits \(budget)")
            return
        }
        let stages = try #require(staged.stages)
        #expect(stages.count >= 2)
        for (earlier, later) in zip(stages, stages.dropFirst()) {
            #expect(later.patch.volume > earlier.patch.volume)
            #expect((0..<3).allSatisfy { later.patch[$0] >= earlier.patch[$0] })
        }
        let last = try #require(stages.last)
        #expect(last.patch == single.patch && last.microBatch == single.microBatch && last.accumulationSteps == single.accumulationSteps)
        #expect(staged.patch == single.patch)
        #expect(staged.predictedPeakBytes <= budget)
        for index in stages.indices { #expect(staged.stagePeakBytes(index) <= staged.predictedPeakBytes) }
        #expect(abs(stages.reduce(0) { $0 + $1.share } - 1) < 1e-12)
        // Every stage's step holds at least the effective batch.
        #expect(stages.allSatisfy { $0.effectiveBatch >= planner.effectiveBatch })
        // The run's arena is the largest stage's, and the executor's layout of every stage fits in it.
        for stage in stages {
            let graph = LayerGraph(configuration: staged.configuration, patch: stage.patch, microBatch: stage.microBatch,
                                   workspaceBytes: KernelWorkspace.bytes)
            #expect(ArenaLayout(graph: graph).size <= staged.trainingArenaBytes)
            #expect(ArenaLayout(graph: graph).size == stage.arenaBytes)
        }
    }

    @Test func aFixedPatchIsTheFinalStage() throws {
        guard case .fits(let staged) = Self.planner().chooseCurriculum(budget: 4 << 30, patch: Extent3(128, 128, 96)) else {
            Issue.record("128x128x96 should fit 4 GiB")
            return
        }
        #expect(staged.stages?.last?.patch == Extent3(128, 128, 96))
        #expect((staged.stages?.count ?? 0) >= 2)
    }

    @Test func aSmallFinalPatchHasNoCurriculum() {
        guard case .fits(let staged) = Self.planner(volume: Extent3(64, 64, 64)).chooseCurriculum(budget: 2 << 30) else {
            Issue.record("64³ should fit 2 GiB")
            return
        }
        #expect(staged.stages == nil)
    }

    @Test func aBudgetTooSmallForTheSmallestStageIsTooSmall() {
        guard case .tooSmall(let smallest) = Self.planner().chooseCurriculum(budget: 60 << 20) else {
            Issue.record("60 MiB should be too small")
            return
        }
        #expect(smallest.predictedPeakBytes > 60 << 20)
    }

    @Test func stageAtProgressFollowsTheSharesAndNeverGoesBack() throws {
        guard case .fits(let staged) = Self.planner().chooseCurriculum(budget: 4 << 30) else { return }
        let shares = try #require(staged.stages).map(\.share)
        #expect(staged.stageIndex(atProgress: 0) == 0)
        #expect(staged.stageIndex(atProgress: shares[0] * 0.99) == 0)
        #expect(staged.stageIndex(atProgress: shares[0] * 1.01) == 1)
        #expect(staged.stageIndex(atProgress: 1) == shares.count - 1)
        #expect(staged.stageIndex(atProgress: 0, atLeast: 1) == 1)
    }

    @Test func anEditedCurriculumIsRefusedWhenRead() throws {
        guard case .fits(var staged) = Self.planner().chooseCurriculum(budget: 4 << 30) else { return }
        staged.stages![0].share = 0.9
        #expect(throws: FieldProblem.self) { try staged.checkLimits() }
        staged = Self.planner().curriculum(ending: Self.planner().plan(patch: Extent3(240, 240, 160), microBatch: 1, budget: 4 << 30))
        staged.stages!.swapAt(0, 1)
        #expect(throws: FieldProblem.self) { try staged.checkLimits() }
    }
}

/// `--time`: the planner takes the largest patch that fits the memory budget and leaves the run its minimum
/// number of updates, with or without a curriculum.
@Suite struct TimeAllowancePlanningTests {
    /// 120 GFLOP/s: about what a 2-core CPU trains at.
    static func allowance(_ seconds: Double) -> TimeAllowance { TimeAllowance(seconds: seconds, flopsPerSecond: 120e9) }

    @Test(arguments: [20 * 60.0, 2 * 3600.0])
    func timeChoosesTheLargestPatchItAllows(seconds: Double) throws {
        let planner = CurriculumPlannerTests.planner(), budget = 4 << 30, time = Self.allowance(seconds)
        guard case .fits(let memoryOnly) = planner.choose(budget: budget), case .fits(let timed) = planner.choose(budget: budget, time: time),
              case .fits(let staged) = planner.chooseCurriculum(budget: budget, time: time) else {
            Issue.record("nothing fits 4 GiB")
            return
        }
        #expect(timed.patch.volume < memoryOnly.patch.volume)
        #expect(time.allows(timed))
        #expect(time.stepSeconds(timed) * TimeAllowance.minimumUpdates <= seconds * TimeAllowance.trainingShare)
        // The next larger candidate is not allowed: the chosen patch is the largest the time allows.
        let candidates = PatchCandidates.descending(volume: planner.volume, multiple: planner.configuration.patchMultiple)
        let index = try #require(candidates.firstIndex(of: timed.patch))
        let larger = planner.plan(patch: candidates[index - 1], microBatch: timed.microBatch, budget: budget)
        #expect(!time.allows(larger))
        // The curriculum ends on the patch the planner picks without one.
        #expect(staged.patch == timed.patch && staged.microBatch == timed.microBatch)
        #expect(staged.predictedPeakBytes <= budget)
    }

    @Test func aLongTimeLeavesThePatchToMemory() {
        let planner = CurriculumPlannerTests.planner()
        guard case .fits(let memoryOnly) = planner.choose(budget: 2 << 30),
              case .fits(let timed) = planner.choose(budget: 2 << 30, time: Self.allowance(TimeBudget.longest)) else {
            Issue.record("nothing fits 2 GiB")
            return
        }
        #expect(timed == memoryOnly)
    }

    @Test func timeNeverShrinksThePatchBelowTheSmallest() {
        let planner = CurriculumPlannerTests.planner()
        guard case .fits(let timed) = planner.choose(budget: 8 << 30, time: Self.allowance(1)) else {
            Issue.record("nothing fits 8 GiB")
            return
        }
        #expect(timed.patch.volume <= TimeAllowance.smallestPatchVoxels)
        #expect(timed.patch.volume * 2 > TimeAllowance.smallestPatchVoxels)
    }

    @Test func aFixedPatchIsKeptWhateverTheTime() {
        guard case .fits(let timed) = CurriculumPlannerTests.planner().choose(budget: 4 << 30, patch: Extent3(128, 128, 96),
                                                                               time: Self.allowance(60)) else {
            Issue.record("128x128x96 should fit 4 GiB")
            return
        }
        #expect(timed.patch == Extent3(128, 128, 96))
    }
}
