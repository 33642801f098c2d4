import Foundation
import Testing
@testable import PatchTrain

/// Mutated inputs of every file kind through the library's readers: each is accepted or refused with a one-line
/// `InputError` naming it; none crashes, hangs or fails another way. `make test` runs a few hundred per kind from a
/// fixed seed (seconds); `make fuzz` sets `PATCHTRAIN_FUZZ_COUNT` (inputs per kind) for the long run and prints the
/// counts per kind.
@Suite(.serialized) struct FuzzTests {
    static let environment = ProcessInfo.processInfo.environment
    static let countPerKind = Int(environment["PATCHTRAIN_FUZZ_COUNT"] ?? "") ?? 40
    static let seed = UInt64(environment["PATCHTRAIN_FUZZ_SEED"] ?? "") ?? 0x5EED_F022

    @Test func everyFileKindRefusesMutatedInputsWithOneLineInputErrors() throws {
        let folder = TemporaryFolder("patchtrain-fuzz")
        let world = try FuzzWorld(folder: folder.path)
        // A crash kills this process; the reproducer folder outlives it (the long run names one under .build).
        let reproducers = FuzzTests.environment["PATCHTRAIN_FUZZ_REPRODUCERS"] ?? folder.file("reproducers")
        let harness = FuzzHarness(workFolder: folder.path, reproducerFolder: reproducers)
        var total = 0
        for (i, kind) in try world.kinds().enumerated() {
            let counts = harness.run(kind, count: FuzzTests.countPerKind, seed: FuzzTests.seed &+ UInt64(i))
            print("fuzz \(counts)")
            for example in counts.examples { print("fuzz \(kind.name):   \(example)") }
            total += counts.inputs
            #expect(counts.inputs == FuzzTests.countPerKind, "\(kind.name)")
            #expect(counts.otherErrors == 0, "\(kind.name): \(counts.examples)")
            #expect(counts.badMessages == 0, "\(kind.name): \(counts.examples)")
            #expect(counts.accepted > 0 && counts.rejected > 0, "\(kind.name): both outcomes are exercised")
        }
        print("fuzz total: \(total) inputs, 0 crashes, 0 hangs")
    }
}
