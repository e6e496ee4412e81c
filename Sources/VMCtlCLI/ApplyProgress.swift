import Foundation
import Planner
import Runtime

/// The line-per-event view of an apply (when stdout is not a terminal, with NO_COLOR or TERM=dumb, the live
/// display's fallback): one line per finished action with its duration; with colour also a line when one starts.
final class ApplyProgress: ApplyEvents, @unchecked Sendable {
    private let lock = NSLock()
    private let style: Style
    private let quiet: Bool
    private let showStarts: Bool
    private let write: @Sendable (String) -> Void

    init(style: Style, quiet: Bool, write: @escaping @Sendable (String) -> Void = { Console.out($0) }) {
        self.style = style
        self.quiet = quiet
        self.write = write
        showStarts = style.enabled
    }

    func started(_ change: Change) {
        guard showStarts, !quiet else { return }
        lock.withLock { write(style.dim("  … \(change.address): \(change.action.rawValue)") + "\n") }
    }

    func finished(_ change: Change, outcome: ActionOutcome) {
        guard !quiet else { return }
        let line = Self.line(change, outcome, style: style)
        lock.withLock { write(line + "\n") }
    }

    /// The line of a finished action, also printed in full below the live display for each failure.
    static func line(_ change: Change, _ outcome: ActionOutcome, style: Style) -> String {
        switch outcome {
        case .done(let detail, let duration):
            "  \(style.green("✓")) \(change.address): \(change.action.rawValue)\(detail.isEmpty ? "" : ", \(detail)") (\(seconds(duration)))"
        case .failed(let error, let duration):
            "  \(style.red("✗")) \(change.address): \(change.action.rawValue) failed after \(seconds(duration)): \(error)"
        case .skipped(let reason):
            "  \(style.yellow("-")) \(change.address): \(change.action.rawValue) skipped: \(reason)"
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return String(format: "%.1fs", Double(ms) / 1000)
    }
}

/// Turns the first Ctrl-C into a cancellation (no new actions; running ones finish) and the second into exit.
/// `announce` prints the notice (a live display puts it above its table); `beforeExit` runs before the exit (a
/// live display leaves its last frame and shows the cursor again).
final class InterruptHandler: @unchecked Sendable {
    private var source: DispatchSourceSignal?
    private var count = 0

    init(announce: @escaping @Sendable (String) -> Void = { Console.err($0) }, beforeExit: @escaping @Sendable () -> Void = {},
         onInterrupt: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [weak self] in
            guard let self else { return }
            self.count += 1
            if self.count == 1 {
                announce("\nvmctl: interrupted: finishing running actions, starting no new ones (Ctrl-C again to quit now)\n")
                onInterrupt()
            } else {
                beforeExit()
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
