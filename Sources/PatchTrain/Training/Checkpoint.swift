import Foundation

/// A checkpoint folder — `RUN/last/` after every save, `RUN/best/` for the best validation result — holding
/// `weights.safetensors` (the network, PyTorch `state_dict` names), `optimizer.zst` (Adam's moments and step) and
/// `state.json` (`TrainingState`). Formats in docs/formats.md, "Checkpoint folder".
///
/// Saving replaces the whole folder atomically (`AtomicFolder`): a crash or a kill at any moment leaves the
/// previous checkpoint whole. Loading checks every file and names the one at fault.
public enum Checkpoint {
    public static let weightsFile = "weights.safetensors"
    public static let optimizerFile = "optimizer.zst"
    public static let stateFile = "state.json"
    public static let files = [weightsFile, optimizerFile, stateFile]

    /// Makes the sink each file is written through; tests substitute one that fails like a full disk.
    public typealias SinkFactory = (String) throws -> any ByteSink

    /// Writes the checkpoint into `folder` (e.g. `RUN/last`), replacing what was there only once all of it is on disk.
    /// A failure names the file and leaves the previous checkpoint as it was.
    public static func write(to folder: String, parameters: ParameterStore, optimizer: Adam, state: TrainingState,
                             swap: AtomicFolder.Swap = .exchange,
                             makeSink: SinkFactory = { try AtomicFile(path: $0) }) throws {
        let json = try encoder.encode(state) + Data([0x0A])
        try AtomicFolder.replace(folder, swap: swap) { temporary in
            try writeFile(weightsFile, into: temporary, for: folder) { path in
                try WeightsFile.write(parameters, to: try makeSink(path))
            }
            try writeFile(optimizerFile, into: temporary, for: folder) { path in
                try OptimizerStateFile.write(optimizer, moments: parameters, to: try makeSink(path))
            }
            CheckpointTestHook.stallIfRequested(temporary)
            try writeFile(stateFile, into: temporary, for: folder) { path in
                let sink = try makeSink(path)
                do {
                    try json.withUnsafeBytes { try sink.write($0) }
                    try sink.commit()
                } catch {
                    sink.abandon()
                    throw error
                }
            }
        }
    }

    /// Loads the checkpoint in `folder` (or in `folder.previous`, which an interrupted swap leaves) into
    /// `parameters`, and returns the optimizer and the training state. Nothing is guessed: a missing file,
    /// corrupt or truncated compressed data, other tensors or shapes than `parameters` holds, a step count that
    /// disagrees between the files — each is an `InputError` naming the file.
    public static func load(from folder: String, into parameters: ParameterStore) throws -> (optimizer: Adam, state: TrainingState) {
        guard let actual = AtomicFolder.resolve(folder) else { throw InputError(folder, "no checkpoint (no such folder)") }
        for name in files where !FileManager.default.fileExists(atPath: "\(actual)/\(name)") {
            throw InputError("\(actual)/\(name)", "missing: the checkpoint is incomplete")
        }
        let state = try readState("\(actual)/\(stateFile)")
        try WeightsFile.read("\(actual)/\(weightsFile)", into: parameters)
        let optimizerPath = "\(actual)/\(optimizerFile)"
        let optimizer = try OptimizerStateFile.read(optimizerPath, moments: parameters)
        guard optimizer.step == state.step else {
            throw InputError(optimizerPath, "Adam has taken \(optimizer.step) steps but \(stateFile) says \(state.step): files of different checkpoints")
        }
        return (optimizer, state)
    }

    /// Reads only `state.json` of the checkpoint in `folder` (or `folder.previous`).
    public static func readState(of folder: String) throws -> TrainingState {
        guard let actual = AtomicFolder.resolve(folder) else { throw InputError(folder, "no checkpoint (no such folder)") }
        return try readState("\(actual)/\(stateFile)")
    }

    static func readState(_ path: String) throws -> TrainingState {
        let data = try RegularFile.contents(path, missing: "missing or unreadable")
        let state: TrainingState
        do {
            state = try JSONDecoder().decode(TrainingState.self, from: data)
        } catch {
            throw InputError(path, "not a checkpoint state (\(JSONProblem.describe(error)))")
        }
        guard state.format == TrainingState.currentFormat else {
            throw InputError(path, "state format \(state.format) is not one this version reads (\(TrainingState.currentFormat))")
        }
        guard state.step >= 0, state.epoch >= 0, state.sampler.drawn >= 0 else { throw InputError(path, "negative step, epoch or draw count") }
        let schedule = state.schedule
        guard schedule.totalSteps >= 1, (0...schedule.totalSteps).contains(schedule.step) else {
            throw InputError(path, "schedule step \(schedule.step) of \(schedule.totalSteps) is out of range")
        }
        guard schedule.baseLearningRate.isFinite, schedule.baseLearningRate > 0 else {
            throw InputError(path, "schedule base learning rate \(schedule.baseLearningRate) is not a positive number")
        }
        if let progress = schedule.progress, !(progress.isFinite && (0...1).contains(progress)) {
            throw InputError(path, "schedule progress \(progress) is outside 0...1")
        }
        if let used = state.timeUsedSeconds, !(used.isFinite && (0...TimeBudget.longest).contains(used)) {
            throw InputError(path, "time used \(used) s is outside 0...\(Int(TimeBudget.longest)) s")
        }
        if let stage = state.stage, !(0..<PlanLimits.stages.upperBound).contains(stage) {
            throw InputError(path, "curriculum stage \(stage) is outside 0..<\(PlanLimits.stages.upperBound)")
        }
        return state
    }

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }()

    /// Runs one file's writer; any failure is reported against the file's final name, with the reason.
    private static func writeFile(_ name: String, into temporary: String, for folder: String, _ body: (String) throws -> Void) throws {
        let path = "\(temporary)/\(name)"
        do {
            try body(path)
        } catch {
            var reason = "\(error)"
            // AtomicFile's messages start with the path in the temporary folder; the user knows the file by its
            // final name, which the message below gives.
            if reason.hasPrefix("\(path): ") { reason = String(reason.dropFirst(path.count + 2)) }
            let message = "\(folder)/\(name): cannot save the checkpoint (\(reason)); \(folder) still holds the previous one"
            if error is InputError { throw InputError("\(folder)/\(name)", "cannot save the checkpoint (\(reason))") }
            throw RuntimeFailure(message)
        }
    }
}

/// Describes a JSON decoding error in a few words.
enum JSONProblem {
    static func describe(_ error: any Error) -> String {
        switch error {
        case let problem as FieldProblem: return problem.description
        case DecodingError.keyNotFound(let key, _): return "no '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "bad '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : "bad '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        default: return "\(error)"
        }
    }
}

/// A test hook, not a feature: with `PATCHTRAIN_TEST_STALL_CHECKPOINT=1` in the environment, a checkpoint write
/// stops for up to a minute once `weights.safetensors` and `optimizer.zst` are in the temporary folder, before
/// `state.json` and the swap. The tests kill the process there (SIGKILL) to prove that a write cut short leaves
/// the previous checkpoint whole and loadable. Costs one `getenv` per checkpoint otherwise.
enum CheckpointTestHook {
    static func stallIfRequested(_ temporary: String) {
        guard let value = getenv("PATCHTRAIN_TEST_STALL_CHECKPOINT"), String(cString: value) == "1" else { return }
        // The marker tells the test the writer is parked mid-write.
        _ = FileManager.default.createFile(atPath: "\(temporary)/.stalled", contents: nil)
        sleep(60)
        try? FileManager.default.removeItem(atPath: "\(temporary)/.stalled")
    }
}
