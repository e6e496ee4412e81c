import Foundation
import Planner
import Runtime
import VMCtlModel

/// Draws the rows of an `ApplyBoard` as the live display's table: one line per change with its state, its
/// elapsed time and what it is doing, each cut to the terminal's width.
///
///     ✓ network.back  create    0.0s  switch running
///     ⠹ vm.db         create   12.4s  waiting for readiness
///     ⠹ vm.cloud      create    3.1s  importing image  41% [█████░░░░░░░] 860MiB/2GiB
///     · vm.api        create          pending (wave 3)
struct ApplyTableView {
    var style: Style
    /// The widths of the address and action columns, from every row of the plan, so that they never shift.
    var addressWidth: Int
    var actionWidth: Int

    static let spinner = Array("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
    static let spinnerPeriod = Duration.milliseconds(100)
    static let barWidth = 20
    static let minimumBar = 8
    static let maximumBar = 30
    /// Wide enough for "999.9s"; longer times push the text right.
    static let timeWidth = 6

    init(style: Style, rows: [ApplyBoard.Row]) {
        self.style = style
        addressWidth = min(40, rows.map { $0.change.address.description.count }.max() ?? 0)
        actionWidth = rows.map { $0.change.action.rawValue.count }.max() ?? 0
    }

    /// The row's line at time `now`, at most `width` characters on the screen (`width` < 1: no limit).
    func line(_ row: ApplyBoard.Row, now: Duration, width: Int) -> String {
        let columnsWidth = addressWidth + 2 + actionWidth + 2 + Self.timeWidth + 2
        let room = width < 1 ? nil : width - 4 - columnsWidth
        let (symbol, paint, time, text) = parts(row, now: now, room: room)
        let columns = pad(row.change.address.description, addressWidth) + "  " + pad(row.change.action.rawValue, actionWidth)
            + "  " + String(repeating: " ", count: max(0, Self.timeWidth - time.count)) + time
        var rest = columns + "  " + text
        while rest.last == " " { rest.removeLast() }
        rest = Self.truncate(rest, to: width < 1 ? Int.max : width - 4)
        if case .pending = row.state { return "  " + style.dim("\(symbol) \(rest)") }
        return "  \(paint(String(symbol))) \(rest)"
    }

    /// The line that stands for rows the screen has no room for.
    func more(_ count: Int, width: Int) -> String {
        "  " + style.dim(Self.truncate("… \(count) more", to: width < 1 ? Int.max : width - 2))
    }

    /// The symbol, its colour, the time and the text of a row; `room`: the text's width on the screen (nil: any).
    private func parts(_ row: ApplyBoard.Row, now: Duration, room: Int?) -> (Character, (String) -> String, String, String) {
        switch row.state {
        case .pending:
            return ("·", { $0 }, "", "pending (wave \(row.change.wave))")
        case .running(let since, let phase):
            let frame = Self.spinner[Int((now / Self.spinnerPeriod).rounded(.down)) % Self.spinner.count]
            return (frame, style.cyan, ApplyProgress.seconds(max(.zero, now - since)), describe(phase, action: row.change.action, room: room))
        case .finished(.done(let detail, let duration)):
            let text = row.reachedReady ? (detail == "running" || detail.isEmpty ? "ready" : "ready, \(detail)") : (detail.isEmpty ? "done" : detail)
            return ("✓", style.green, ApplyProgress.seconds(duration), Self.printable(text))
        case .finished(.failed(let error, let duration)):
            let first = error.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).first.map(String.init) ?? error
            return ("✗", style.red, ApplyProgress.seconds(duration), "failed: \(Self.printable(first))")
        case .finished(.skipped(let reason)):
            return ("-", style.yellow, "", "skipped: \(Self.printable(reason))")
        }
    }

    /// What a running action is doing: its last phase, or before any its action as a verb.
    private func describe(_ phase: ActionPhase?, action: Action, room: Int?) -> String {
        switch phase {
        case nil: Self.verb(action)
        case .stopping: "stopping"
        case .importingImage(let done, let total): Self.importing(done: done, total: total, room: room)
        case .provisioning: "provisioning (root disk, cloud-init seed)"
        case .booting: "booting"
        case .waitingForReadiness: "waiting for readiness"
        case .ready: "ready"
        }
    }

    static func verb(_ action: Action) -> String {
        switch action {
        case .create: "creating"
        case .start: "starting"
        case .stop: "stopping"
        case .restart: "restarting"
        case .reset: "resetting"
        case .update: "updating"
        case .replace: "replacing"
        case .delete: "deleting"
        case .noop: ""
        }
    }

    /// `importing image  41% [████████░░░░░░░░░░░░] 860MiB/2GiB`: the bar as wide as `room` allows (8 to 30
    /// cells; 20 without a limit), the sizes dropped before the bar is, the percentage always there.
    static func importing(done: UInt64, total: UInt64, room: Int?) -> String {
        let fraction = total == 0 ? 1 : min(1, Double(done) / Double(total))
        let percent = String(Int((fraction * 100).rounded(.down)))
        let head = "importing image " + String(repeating: " ", count: max(0, 3 - percent.count)) + percent + "%"
        let totalText = ByteSize(bytes: total).approximate
        let amount = " \(ByteSize(bytes: done).approximate)/\(totalText)"
        // Room for the longest amount to come ("1023.9MiB/…"), so that the bar keeps its width while it fills.
        let amountRoom = max(amount.count, 1 + 9 + 1 + totalText.count)
        func bar(_ cells: Int) -> String {
            let filled = Int((fraction * Double(cells)).rounded(.down))
            return " [" + String(repeating: "█", count: filled) + String(repeating: "░", count: cells - filled) + "]"
        }
        guard let room else { return head + bar(barWidth) + amount }
        let withAmount = room - head.count - 3 - amountRoom
        if withAmount >= minimumBar { return head + bar(min(withAmount, maximumBar)) + amount }
        let withoutAmount = room - head.count - 3
        if withoutAmount >= minimumBar { return head + bar(min(withoutAmount, maximumBar)) }
        return head + amount
    }

    /// Control characters (an error may quote a guest's console) as spaces: in a row they would move the cursor.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) ? " " : $0 }))
    }

    /// At most `width` characters; a cut line ends in "…".
    static func truncate(_ text: String, to width: Int) -> String {
        guard text.count > width else { return text }
        guard width > 0 else { return "" }
        return String(text.prefix(width - 1)) + "…"
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
