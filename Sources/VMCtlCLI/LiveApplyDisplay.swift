import Foundation
import Planner
import Runtime

/// Where the live display draws: standard output on a terminal, or a recording in tests.
protocol LiveTerminal: Sendable {
    func write(_ text: String)
    func writeError(_ text: String)
    /// Columns and rows, nil when unknown; asked for every frame, so a resized window is followed.
    func size() -> (columns: Int, rows: Int)?
}

struct StandardTerminal: LiveTerminal {
    func write(_ text: String) { Console.out(text) }
    func writeError(_ text: String) { Console.err(text) }
    func size() -> (columns: Int, rows: Int)? { TerminalWindow.size().map { ($0.columns, $0.rows) } }
}

/// `vmctl apply`'s live display on a terminal: the plan's changes as a table, one line each, redrawn in place
/// with each one's phase and elapsed time (`ApplyTableView`), at most ten times a second.
///
/// One serial queue owns the terminal and the board: the executor's threads only enqueue their events (stamped
/// with the time they happened), and the queue's timer draws. Finished rows at the top are printed for good;
/// the rest is redrawn (`LiveRedraw`), cut to the terminal's width and, if taller than the screen, to its height.
/// `finish()` prints the final table and shows the cursor again, which is hidden meanwhile.
final class LiveApplyDisplay: ApplyEvents, @unchecked Sendable {
    // Sound as @unchecked Sendable: every mutable field below is read and written on `queue` only.
    static let interval = DispatchTimeInterval.milliseconds(100)
    /// Used when the terminal does not say its size.
    static let defaultColumns = 80

    private let queue = DispatchQueue(label: "vmctl.apply.live")
    private let terminal: any LiveTerminal
    private let clock: @Sendable () -> Duration
    private let view: ApplyTableView
    private var board: ApplyBoard
    private var redraw = LiveRedraw()
    /// Rows printed for good (a prefix of the board).
    private var settled = 0
    private var timer: (any DispatchSourceTimer)?
    private var ended = false

    /// `changes`: the plan's; `clock`: the time since the display began (tests pass a fake one).
    init(changes: [Change], style: Style, terminal: any LiveTerminal = StandardTerminal(),
         clock: @escaping @Sendable () -> Duration = LiveApplyDisplay.continuousClock()) {
        board = ApplyBoard(changes: changes)
        view = ApplyTableView(style: style, rows: board.rows)
        self.terminal = terminal
        self.clock = clock
    }

    static func continuousClock() -> @Sendable () -> Duration {
        let origin = ContinuousClock.now
        return { ContinuousClock.now - origin }
    }

    /// Hides the cursor, draws the first frame and, with `ticking`, a new one every 100 ms until `finish()`.
    func begin(ticking: Bool = true) {
        queue.sync {
            terminal.write(LiveRedraw.hideCursor)
            draw()
            guard ticking else { return }
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + Self.interval, repeating: Self.interval, leeway: .milliseconds(10))
            timer.setEventHandler { [weak self] in self?.draw() }
            timer.resume()
            self.timer = timer
        }
    }

    func started(_ change: Change) {
        let time = clock()
        queue.async { self.board.started(change, at: time) }
    }

    func progressed(_ change: Change, phase: ActionPhase) {
        let time = clock()
        queue.async { self.board.progressed(change, phase: phase, at: time) }
    }

    func finished(_ change: Change, outcome: ActionOutcome) {
        queue.async { self.board.finished(change, outcome: outcome) }
    }

    /// Draws a frame now (after every event sent so far).
    func tick() { queue.sync { draw() } }

    /// Prints `text` on standard error above the table, which is drawn again below it (the Ctrl-C notice).
    func announce(_ text: String) {
        queue.sync {
            if !ended { terminal.write(redraw.clear()) }
            terminal.writeError(text)
            if !ended { draw() }
        }
    }

    /// The final frame: every row printed for good and the cursor shown. Nothing is drawn after it; calling it
    /// again does nothing (the second Ctrl-C may call it while the command does too).
    func finish() {
        queue.sync {
            guard !ended else { return }
            ended = true
            timer?.cancel()
            timer = nil
            let now = clock(), width = columns()
            let rest = board.rows[settled...].map { view.line($0, now: now, width: width) }
            settled = board.rows.count
            terminal.write(redraw.frame(settled: rest, live: []) + LiveRedraw.showCursor)
        }
    }

    /// What the table shortens, in full below it: one line per failed action (as without the live display).
    static func failureDetails(_ report: ApplyReport, style: Style) -> String {
        let lines = report.outcomes.compactMap { change, outcome -> String? in
            guard case .failed = outcome else { return nil }
            return ApplyProgress.line(change, outcome, style: style)
        }
        return lines.isEmpty ? "" : "\n" + lines.joined(separator: "\n") + "\n"
    }

    /// The widest a line may be: one column short of the terminal's, so that no terminal wraps it.
    private func columns() -> Int { lineWidth(terminal.size()) }

    private func lineWidth(_ size: (columns: Int, rows: Int)?) -> Int { (size?.columns ?? Self.defaultColumns) - 1 }

    private func draw() {
        guard !ended else { return }
        let now = clock(), size = terminal.size(), width = lineWidth(size)
        let end = board.finishedRun(from: settled)
        let newlySettled = board.rows[settled..<end].map { view.line($0, now: now, width: width) }
        settled = end
        var live = board.rows[end...].map { view.line($0, now: now, width: width) }
        // Lines scrolled off the top cannot be redrawn: keep the live part one line shorter than the screen.
        if let rows = size?.rows, rows > 2, live.count > rows - 1 {
            let shown = rows - 2
            live = Array(live.prefix(shown)) + [view.more(live.count - shown, width: width)]
        }
        terminal.write(redraw.frame(settled: newlySettled, live: live))
    }
}

/// How `vmctl apply` shows its progress.
enum ApplyDisplayMode: Equatable {
    /// The live table (`LiveApplyDisplay`).
    case live
    /// A line per event (`ApplyProgress`), as in a log: never an escape code when stdout is not a terminal.
    case lines
    /// Nothing while it runs (`-o json`).
    case quiet

    /// Live only for people: human output to a terminal that can move its cursor; with `NO_COLOR` (set and not
    /// empty), `TERM=dumb` or no `TERM`, or stdout not a terminal, the lines of a log.
    static func choose(output: OutputFormat, standardOutputIsTerminal: Bool = isatty(STDOUT_FILENO) == 1,
                       environment env: [String: String] = ProcessInfo.processInfo.environment) -> ApplyDisplayMode {
        guard output == .human else { return .quiet }
        let noColor = !(env["NO_COLOR"] ?? "").isEmpty
        let term = env["TERM"] ?? ""
        return standardOutputIsTerminal && !noColor && !term.isEmpty && term != "dumb" ? .live : .lines
    }
}
