import Foundation
import Planner
import Runtime

/// Prints one line per finished action with its duration; on a terminal also a line when an action starts.
final class ApplyProgress: ApplyEvents, @unchecked Sendable {
    private let lock = NSLock()
    private let style: Style
    private let quiet: Bool
    private let showStarts: Bool

    init(style: Style, quiet: Bool) {
        self.style = style
        self.quiet = quiet
        showStarts = style.enabled
    }

    func started(_ change: Change) {
        guard showStarts, !quiet else { return }
        lock.withLock { Console.out(style.dim("  … \(change.address): \(change.action.rawValue)") + "\n") }
    }

    func finished(_ change: Change, outcome: ActionOutcome) {
        guard !quiet else { return }
        let line: String
        switch outcome {
        case .done(let detail, let duration):
            line = "  \(style.green("✓")) \(change.address): \(change.action.rawValue)\(detail.isEmpty ? "" : ", \(detail)") (\(Self.seconds(duration)))"
        case .failed(let error, let duration):
            line = "  \(style.red("✗")) \(change.address): \(change.action.rawValue) failed after \(Self.seconds(duration)): \(error)"
        case .skipped(let reason):
            line = "  \(style.yellow("-")) \(change.address): \(change.action.rawValue) skipped: \(reason)"
        }
        lock.withLock { Console.out(line + "\n") }
    }

    static func seconds(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return String(format: "%.1fs", Double(ms) / 1000)
    }
}

/// Turns the first Ctrl-C into a cancellation (no new actions; running ones finish) and the second into exit.
final class InterruptHandler: @unchecked Sendable {
    private var source: DispatchSourceSignal?
    private var count = 0

    init(onInterrupt: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [weak self] in
            guard let self else { return }
            self.count += 1
            if self.count == 1 {
                Console.err("\nvmctl: interrupted: finishing running actions, starting no new ones (Ctrl-C again to quit now)\n")
                onInterrupt()
            } else {
                exit(130)
            }
        }
        source.resume()
        self.source = source
    }

    deinit {
        source?.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
