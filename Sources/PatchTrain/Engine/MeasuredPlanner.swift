extension MemoryPlanner {
    /// The planner every command uses: the kernels' own workspace sizes and the runtime baseline measured in
    /// this process, so what it predicts is what this binary on this machine will hold. A request outside
    /// `PlanLimits` (a huge batch, a volume edge of billions, one class) is an `InputError`, not a trap later.
    public static func measured(configuration: UNetConfiguration, volume: Extent3, effectiveBatch: Int,
                                prefetchDepth: Int = 2) throws -> MemoryPlanner {
        do {
            try PlanLimits.checkRequest(configuration: configuration, volume: volume, effectiveBatch: effectiveBatch,
                                        prefetchDepth: prefetchDepth)
        } catch let problem as FieldProblem {
            throw InputError("plan request", problem.description)
        }
        return MemoryPlanner(configuration: configuration, volume: volume, effectiveBatch: effectiveBatch, prefetchDepth: prefetchDepth,
                             fixed: try RuntimeBaseline.measure(), workspaceBytes: KernelWorkspace.bytes)
    }
}
