import Testing

/// Tests that run the compute kernels take turns, across suites.
///
/// The kernels are deterministic, but OpenBLAS's thread count is one global setting: a convolution sets it to 1
/// while its own workers call GEMM, and a GEMM that another test starts meanwhile from another thread runs on a
/// thread pool it then shares. Results then wobble in the last bits — harmless to tests with tolerances, fatal to
/// tests that compare bits (a resumed run against a straight one). `.serialized` orders the tests of one suite
/// only; this trait orders every test that carries it, whatever its suite. Apply it to a suite to cover each of
/// its tests (and each argument of a parameterised test).
struct KernelExclusive: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    /// A scope per test case only: the suite and the test around them must not take the turn as well.
    func scopeProvider(for test: Test, testCase: Test.Case?) -> KernelExclusive? { testCase == nil ? nil : self }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        await KernelTurn.shared.acquire()
        do {
            try await function()
        } catch {
            await KernelTurn.shared.release()
            throw error
        }
        await KernelTurn.shared.release()
    }
}

extension Trait where Self == KernelExclusive {
    static var kernelExclusive: Self { KernelExclusive() }
}

/// A first-come, first-served turn that waits without blocking a thread.
actor KernelTurn {
    static let shared = KernelTurn()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
