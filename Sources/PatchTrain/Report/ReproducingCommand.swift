import Foundation

/// The `patchtrain fit` command line that trains a run again: the same data, the run's own plan file (so the same
/// patch, micro-batch and accumulation), and every setting `config.json` holds, into a new folder.
enum ReproducingCommand {
    static func arguments(configuration c: RunConfiguration, run: RunFiles) -> [String] {
        var words = ["patchtrain", "fit", "--data", c.data, "--plan", run.plan]
        if let time = c.timeBudgetSeconds {
            words += ["--time", "\(Int(time.rounded(.up)))s"]
        } else if let epochs = c.epochs {
            words += ["--epochs", "\(epochs)"]
        } else {
            words += ["--steps", "\(c.steps)"]
        }
        words += ["--lr", "\(c.learningRate)", "--schedule", c.schedule.rawValue, "--loss", c.loss.shortName]
        if c.augmentation == nil { words.append("--no-augment") }
        words += ["--seed", "\(c.seed)", "--checkpoint-every", "\(c.checkpointEvery)"]
        if let split = c.validationSplit { words += ["--validation", split] }
        if let every = c.validationEvery, every > 0, !(c.validationCases ?? []).isEmpty { words += ["--val-every", "\(every)"] }
        words += ["--out", "\(run.path)-again"]
        return words
    }

    /// The arguments as one shell line, quoting any that need it.
    static func line(configuration: RunConfiguration, run: RunFiles) -> String {
        arguments(configuration: configuration, run: run).map { word in
            let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./+=:,@%".contains($0) }
            return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}
