import Dispatch
import Foundation
import PatchTrain

/// SIGINT and SIGTERM during `fit`: the first one asks the run to stop at the next step boundary (it then saves
/// `last/` and the command exits 128 + signal); a second one exits at once, without saving — the previous
/// checkpoint stays whole because checkpoints are swapped in atomically.
///
/// The signals are ignored at the process level and delivered through `DispatchSourceSignal`, so the handler is
/// ordinary code on a queue rather than an async-signal context, and the training thread only ever reads a flag.
final class SignalTrap {
    private var sources: [any DispatchSourceSignal] = []

    init(stop: StopRequest) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if stop.request(signal: number) {
                    // One line on a terminal, where someone waits for the step to end; logs get only the final line.
                    if Terminal.standardErrorIsTerminal {
                        Terminal.printError("\npatchtrain: \(SignalTrap.name(number)): stopping after this step (again to quit without saving)")
                    }
                } else {
                    _exit(128 + number)  // at once: no atexit handlers racing the training thread
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Stops listening and restores the default actions.
    func cancel() {
        for source in sources { source.cancel() }
        sources = []
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    static func name(_ number: Int32) -> String {
        switch number {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(number)"
        }
    }
}
