extension MemoryPlanner {
    /// The planner every command uses: the kernels' own workspace sizes and the runtime baseline measured in
    /// this process, so what it predicts is what this binary on this machine will hold.
    public static func measured(configuration: UNetConfiguration, volume: Extent3, effectiveBatch: Int,
                                prefetchDepth: Int = 2) throws -> MemoryPlanner {
        MemoryPlanner(configuration: configuration, volume: volume, effectiveBatch: effectiveBatch, prefetchDepth: prefetchDepth,
                      fixed: try RuntimeBaseline.measure(), workspaceBytes: KernelWorkspace.bytes)
    }
}
