import Planner
import Runtime

/// What the live display knows of each change of a plan (its `noop`s left out), in the order the executor runs
/// them (by wave, then as planned), fed by the executor's events. Times are offsets from the display's start.
struct ApplyBoard {
    enum State {
        /// Not started yet: its wave has not come, or the wave's parallelism is used up.
        case pending
        /// Running since `since`; `phase` is the last step the runtime reported (nil: none yet).
        case running(since: Duration, phase: ActionPhase?)
        case finished(ActionOutcome)
    }

    struct Row {
        var change: Change
        var state: State
        /// The guest reached readiness during this action (it reported `.ready`).
        var reachedReady = false

        var isFinished: Bool { if case .finished = state { true } else { false } }
    }

    private(set) var rows: [Row]
    private let index: [ResourceAddress: Int]

    init(changes: [Change]) {
        let active = changes.enumerated().filter { $0.element.action != .noop }
            .sorted { ($0.element.wave, $0.offset) < ($1.element.wave, $1.offset) }.map(\.element)
        rows = active.map { Row(change: $0, state: .pending) }
        index = Dictionary(active.enumerated().map { ($0.element.address, $0.offset) }, uniquingKeysWith: { first, _ in first })
    }

    mutating func started(_ change: Change, at time: Duration) {
        update(change) { $0.state = .running(since: time, phase: nil) }
    }

    mutating func progressed(_ change: Change, phase: ActionPhase, at time: Duration) {
        update(change) { row in
            if phase == .ready { row.reachedReady = true }
            switch row.state {
            case .running(let since, _): row.state = .running(since: since, phase: phase)
            case .pending: row.state = .running(since: time, phase: phase)
            case .finished: break
            }
        }
    }

    mutating func finished(_ change: Change, outcome: ActionOutcome) {
        update(change) { $0.state = .finished(outcome) }
    }

    /// The rows from `start` on, up to (not including) the first that has not finished.
    func finishedRun(from start: Int) -> Int {
        rows[start...].firstIndex { !$0.isFinished } ?? rows.count
    }

    private mutating func update(_ change: Change, _ body: (inout Row) -> Void) {
        // A change the plan did not list (never expected) gets a row of its own at the end.
        let position = index[change.address] ?? rows.firstIndex { $0.change.address == change.address } ?? {
            rows.append(Row(change: change, state: .pending))
            return rows.count - 1
        }()
        body(&rows[position])
    }
}
