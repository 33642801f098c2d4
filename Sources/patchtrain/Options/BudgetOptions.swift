import ArgumentParser
import PatchTrain

/// `--ram`, shared by every command that plans memory (plan, fit, infer).
struct BudgetOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Budget for the whole process's peak RSS (8G, 512M, 1.5GiB). Default: the memory available (cgroup limit or MemAvailable).",
        valueName: "size"))
    var ram: SizeArgument?

    /// The budget `--ram` names, else the memory available now.
    func budget() throws -> MemoryBudget { try MemoryBudget(ram: ram?.text) }
}
