import Foundation
import Testing
@testable import PatchTrain

@Suite struct MemoryPlannerTests {
    /// The planner as `plan` builds it, with a fixed runtime baseline so the tests do not depend on this process.
    static func planner(batch: Int = 2) -> MemoryPlanner {
        MemoryPlanner(configuration: UNetConfiguration(), volume: Extent3(240, 240, 160), effectiveBatch: batch,
                      fixed: FixedMemory(runtimeBytes: 40 << 20, source: "test"), workspaceBytes: KernelWorkspace.bytes)
    }

    @Test func candidatesAreMultiplesWithinTheVolumeAndShrink() {
        let volume = Extent3(240, 240, 155)
        let candidates = PatchCandidates.descending(volume: volume, multiple: 16)
        #expect(candidates.first == Extent3(240, 240, 144))
        #expect(candidates.last == Extent3(16, 16, 16))
        for (a, b) in zip(candidates, candidates.dropFirst()) {
            #expect(b.volume < a.volume)
        }
        for c in candidates {
            for axis in 0..<3 {
                #expect(c[axis] % 16 == 0 && c[axis] <= max(volume[axis], 16))
            }
        }
        // The aspect stays close to the volume's: a 128-cube-sized budget lands near 128x128x96, not 240x240x16.
        let mid = candidates.first { $0.volume <= 128 * 128 * 96 }!
        #expect(mid.z >= 64 && mid.x <= 160)
    }

    @Test func moreMemoryNeverGivesASmallerPatch() throws {
        let planner = MemoryPlannerTests.planner()
        var previous = 0
        for gib in stride(from: 0.5, through: 16, by: 0.5) {
            let budget = Int(gib * 1_073_741_824)
            guard case .fits(let plan) = planner.choose(budget: budget) else { continue }
            #expect(plan.patch.volume >= previous, "budget \(gib) GiB chose \(plan.patch)")
            #expect(plan.predictedPeakBytes <= budget)
            previous = plan.patch.volume
        }
        #expect(previous == 240 * 240 * 160)
    }

    @Test func tooSmallABudgetNamesTheMinimum() {
        let planner = MemoryPlannerTests.planner()
        guard case .tooSmall(let smallest) = planner.choose(budget: 10 << 20) else {
            Issue.record("10 MiB should not fit")
            return
        }
        #expect(smallest.patch == Extent3(16, 16, 16))
        #expect(smallest.predictedPeakBytes > 10 << 20)
        // And the named minimum does fit.
        guard case .fits = planner.choose(budget: smallest.predictedPeakBytes) else {
            Issue.record("the minimum budget should fit")
            return
        }
    }

    @Test func microBatchTimesStepsIsTheEffectiveBatch() {
        let planner = MemoryPlannerTests.planner(batch: 4)
        for gib in [1, 2, 4, 8, 16] {
            guard case .fits(let plan) = planner.choose(budget: gib << 30) else { continue }
            #expect(plan.microBatch * plan.accumulationSteps == 4)
        }
    }

    @Test func aPlanRoundTripsThroughJSON() throws {
        guard case .fits(let plan) = MemoryPlannerTests.planner().choose(budget: 4 << 30) else {
            Issue.record("4 GiB should fit")
            return
        }
        let data = try JSONEncoder().encode(plan)
        let back = try JSONDecoder().decode(MemoryPlan.self, from: data)
        #expect(back == plan)
        #expect(back.predictedPeakBytes == plan.predictedPeakBytes)
    }
}
