import Foundation
import Planner
@testable import Runtime
import Testing
@testable import VMCtlCLI

/// The clock of a test: time moves only when the test says.
final class FakeClock: @unchecked Sendable {
    private let lock = NSLock()
    private var time = Duration.zero

    var now: Duration {
        get { lock.withLock { time } }
        set { lock.withLock { time = newValue } }
    }

    func read() -> @Sendable () -> Duration { { self.now } }
}

/// A terminal of a given size that records what is written to it: `output` (stdout) and `both` (stdout and
/// stderr as they interleave, stderr in ⟦ ⟧).
final class RecordingTerminal: LiveTerminal, @unchecked Sendable {
    private let lock = NSLock()
    private var out = ""
    private var all = ""
    var dimensions: (columns: Int, rows: Int)?

    init(columns: Int = 80, rows: Int = 24) { dimensions = (columns, rows) }

    var output: String { lock.withLock { out } }
    var both: String { lock.withLock { all } }

    func write(_ text: String) { lock.withLock { out += text; all += text } }
    func writeError(_ text: String) { lock.withLock { all += "⟦\(text)⟧" } }
    func size() -> (columns: Int, rows: Int)? { lock.withLock { dimensions } }

    /// The screen after everything written so far.
    var screen: ScreenEmulator {
        var screen = ScreenEmulator()
        screen.feed(output)
        return screen
    }
}

@Suite("apply's live display: frames from events and a fake clock, redraw codes, fallback rules")
struct ApplyLiveDisplayTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let updating = ProcessInfo.processInfo.environment["VMCTL_UPDATE_GOLDEN"] == "1"

    static func change(_ kind: ResourceKind, _ name: String, _ action: Action = .create, wave: Int) -> Change {
        Change(address: ResourceAddress(kind, name), action: action, impact: .none, reasons: [], wave: wave)
    }

    // A plan as the planner orders it: noops first (left out of the table), then by wave and address.
    static let network = change(.network, "back", wave: 1)
    static let volume = change(.volume, "data", wave: 1)
    static let db = change(.vm, "db", wave: 2)
    static let image = change(.vm, "img", wave: 2)
    static let api = change(.vm, "api", .restart, wave: 3)
    static let web = change(.vm, "web", wave: 3)
    static let kept = change(.vm, "old", .noop, wave: 0)
    static let changes = [kept, network, volume, db, image, api, web]

    static let crash = "vm 'img': boot: the VM crashed before it was ready (exit status 1); console: EFI stub: Booting Linux Kernel... [    0.000000] Kernel panic - not syncing: VFS: Unable to mount root fs"

    /// Escape as ⎋ and carriage return as ␍, so that a golden file shows what is sent.
    static func visible(_ text: String) -> String {
        text.replacingOccurrences(of: "\u{1B}", with: "⎋").replacingOccurrences(of: "\r", with: "␍")
    }

    func compare(_ transcript: String, golden file: String) throws {
        let url = Self.golden.appendingPathComponent(file)
        if Self.updating { try transcript.write(to: url, atomically: true, encoding: .utf8) }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(transcript == expected, "\(file) differs (VMCTL_UPDATE_GOLDEN=1 rewrites it; review the diff)")
    }

    /// Runs the scenario of the golden files: each tick's output under a heading with the fake time.
    func scenario(terminal: RecordingTerminal, style: Style = Style(enabled: true)) -> String {
        let clock = FakeClock()
        let display = LiveApplyDisplay(changes: Self.changes, style: style, terminal: terminal, clock: clock.read())
        var transcript = ""
        var written = 0
        func frame() {
            display.tick()
            take()
        }
        func take() {
            let all = terminal.output
            let new = String(all.dropFirst(written))
            written = all.count
            transcript += "── \(ApplyProgress.seconds(clock.now)) ──\n" + Self.visible(new) + "\n"
        }
        display.begin(ticking: false)
        take()
        display.started(Self.network)
        display.started(Self.volume)
        clock.now = .milliseconds(40)
        display.finished(Self.network, outcome: .done(detail: "switch running", duration: .milliseconds(40)))
        clock.now = .milliseconds(100)
        frame()
        clock.now = .milliseconds(230)
        display.finished(Self.volume, outcome: .done(detail: "created", duration: .milliseconds(230)))
        display.started(Self.db)
        display.started(Self.image)
        clock.now = .milliseconds(250)
        display.progressed(Self.db, phase: .booting)
        display.progressed(Self.image, phase: .importingImage(done: 0, total: 2 << 30))
        clock.now = .milliseconds(300)
        frame()
        clock.now = .milliseconds(1000)
        display.progressed(Self.db, phase: .waitingForReadiness)
        display.progressed(Self.image, phase: .importingImage(done: 860 << 20, total: 2 << 30))
        clock.now = .milliseconds(1050)
        frame()
        clock.now = .milliseconds(2900)
        display.progressed(Self.image, phase: .importingImage(done: 2 << 30, total: 2 << 30))
        display.progressed(Self.image, phase: .provisioning)
        display.progressed(Self.image, phase: .booting)
        display.progressed(Self.db, phase: .ready)
        display.finished(Self.db, outcome: .done(detail: "running", duration: .milliseconds(2670)))
        display.started(Self.api)
        display.progressed(Self.api, phase: .stopping)
        clock.now = .milliseconds(3100)
        frame()
        clock.now = .milliseconds(4000)
        display.progressed(Self.image, phase: .waitingForReadiness)
        display.finished(Self.image, outcome: .failed(error: Self.crash, duration: .milliseconds(3750)))
        display.finished(Self.web, outcome: .skipped(reason: "vm.img failed or was skipped"))
        display.progressed(Self.api, phase: .booting)
        display.progressed(Self.api, phase: .waitingForReadiness)
        clock.now = .milliseconds(4120)
        frame()
        clock.now = .milliseconds(6400)
        display.progressed(Self.api, phase: .ready)
        display.finished(Self.api, outcome: .done(detail: "restarted (stop graceful)", duration: .milliseconds(3500)))
        display.finish()
        take()
        return transcript
    }

    @Test("the frames of an apply (80×24, colour): pending rows, phases with spinner and time, an import bar, ready, a failure cut to the width, skipped; finished rows print once; the cursor is hidden, then shown")
    func goldenFrames() throws {
        let terminal = RecordingTerminal(columns: 80, rows: 24)
        try compare(scenario(terminal: terminal), golden: "apply-live-80x24.txt")
        #expect(terminal.output.hasPrefix(LiveRedraw.hideCursor) && terminal.output.hasSuffix(LiveRedraw.showCursor))
    }

    @Test("what the screen shows at the end: the final table, each row once, the cursor visible, no line past the width")
    func finalScreen() throws {
        let terminal = RecordingTerminal(columns: 80, rows: 24)
        _ = scenario(terminal: terminal, style: Style(enabled: false))
        let screen = terminal.screen
        #expect(screen.unknown.isEmpty, "\(screen.unknown)")
        #expect(screen.cursorVisible)
        #expect(screen.text == """
              ✓ network.back  create     0.0s  switch running
              ✓ volume.data   create     0.2s  created
              ✓ vm.db         create     2.7s  ready
              ✗ vm.img        create     3.8s  failed: vm 'img': boot: the VM crashed befo…
              ✓ vm.api        restart    3.5s  ready, restarted (stop graceful)
              - vm.web        create           skipped: vm.img failed or was skipped
            """, "\(screen.text)")
        #expect(screen.text.split(separator: "\n").allSatisfy { $0.count < 80 })
    }

    @Test("a narrow terminal (40 columns): every line is cut to 39 characters, ending in …; the screen has the same rows")
    func narrow() throws {
        let terminal = RecordingTerminal(columns: 40, rows: 24)
        try compare(scenario(terminal: terminal, style: Style(enabled: false)), golden: "apply-live-40x24.txt")
        let lines = terminal.screen.text.split(separator: "\n")
        #expect(lines.count == 6)
        #expect(lines.allSatisfy { $0.count <= 39 }, "\(lines)")
        #expect(lines[3] == "  ✗ vm.img        create     3.8s  fai…")
    }

    @Test("a table taller than the screen: the live part keeps one line less than the screen, the rest counted as … N more")
    func taller() {
        let many = (0..<12).map { Self.change(.vm, "vm\($0)", wave: 1) }
        let terminal = RecordingTerminal(columns: 60, rows: 6)
        let clock = FakeClock()
        let display = LiveApplyDisplay(changes: many, style: Style(enabled: false), terminal: terminal, clock: clock.read())
        display.begin(ticking: false)
        #expect(terminal.screen.text == """
              · vm.vm0   create          pending (wave 1)
              · vm.vm1   create          pending (wave 1)
              · vm.vm2   create          pending (wave 1)
              · vm.vm3   create          pending (wave 1)
              … 8 more
            """)
        // The first three finish: they are printed for good and the live part moves down.
        for change in many.prefix(3) { display.finished(change, outcome: .done(detail: "running", duration: .seconds(1))) }
        display.tick()
        #expect(terminal.screen.text.split(separator: "\n").count == 3 + 5)
        #expect(terminal.screen.text.hasSuffix("… 5 more"))
        display.finish()
        #expect(terminal.screen.text.split(separator: "\n").count == 12, "the final table has every row")
    }

    @Test("the Ctrl-C notice goes to stderr above the table, which is drawn again below it")
    func announce() {
        let terminal = RecordingTerminal()
        let clock = FakeClock()
        let display = LiveApplyDisplay(changes: [Self.db, Self.api], style: Style(enabled: false), terminal: terminal, clock: clock.read())
        display.begin(ticking: false)
        display.started(Self.db)
        clock.now = .milliseconds(500)
        display.tick()
        display.announce("\nvmctl: interrupted\n")
        display.finished(Self.db, outcome: .done(detail: "running", duration: .seconds(1)))
        display.finished(Self.api, outcome: .skipped(reason: "interrupted before it started"))
        display.finish()
        #expect(Self.visible(terminal.both) == """
            ⎋[?25l  · vm.db   create           pending (wave 2)⎋[K
              · vm.api  restart          pending (wave 3)⎋[K
            ␍⎋[2A  ⠴ vm.db   create     0.5s  creating⎋[K
              · vm.api  restart          pending (wave 3)⎋[K
            ␍⎋[2A⎋[J⟦
            vmctl: interrupted
            ⟧  ⠴ vm.db   create     0.5s  creating⎋[K
              · vm.api  restart          pending (wave 3)⎋[K
            ␍⎋[2A  ✓ vm.db   create     1.0s  running⎋[K
              - vm.api  restart          skipped: interrupted before it started⎋[K
            ⎋[?25h
            """)
    }

    @Test("finish is final: a second call (the second Ctrl-C and the command both finishing) and later events draw nothing")
    func finishOnce() {
        let terminal = RecordingTerminal()
        let display = LiveApplyDisplay(changes: [Self.db], style: Style(enabled: false), terminal: terminal, clock: FakeClock().read())
        display.begin(ticking: false)
        display.finish()
        let after = terminal.output
        display.finish()
        display.started(Self.db)
        display.tick()
        #expect(terminal.output == after)
    }

    @Test("with its timer the display draws by itself, at most about ten frames a second, from the executor's threads' events")
    func ticking() async throws {
        let terminal = RecordingTerminal()
        let display = LiveApplyDisplay(changes: Self.changes, style: Style(enabled: true), terminal: terminal)
        display.begin()
        DispatchQueue.concurrentPerform(iterations: 6) { index in
            let change = Self.changes[index + 1]
            display.started(change)
            for step in 0..<200 { display.progressed(change, phase: .importingImage(done: UInt64(step), total: 200)) }
            display.finished(change, outcome: .done(detail: "running", duration: .seconds(1)))
        }
        try await Task.sleep(for: .milliseconds(550))
        display.finish()
        let frames = terminal.output.components(separatedBy: "\r\u{1B}[").count - 1
        #expect(frames >= 1 && frames <= 8, "\(frames) redraws in 0.55 s")
        var screen = ScreenEmulator()
        screen.feed(terminal.output)
        #expect(screen.text.split(separator: "\n").count == 6 && screen.cursorVisible, "\(screen.text)")
    }

    @Test("failures are printed in full below the table, as the line view prints them")
    func failuresBelow() {
        let report = ApplyReport(outcomes: [(Self.db, .done(detail: "running", duration: .seconds(2))),
                                            (Self.image, .failed(error: Self.crash, duration: .milliseconds(3750))),
                                            (Self.web, .skipped(reason: "vm.img failed or was skipped"))], interrupted: false)
        #expect(LiveApplyDisplay.failureDetails(report, style: Style(enabled: false)) == "\n  ✗ vm.img: create failed after 3.8s: \(Self.crash)\n")
        #expect(LiveApplyDisplay.failureDetails(ApplyReport(outcomes: [], interrupted: false), style: Style(enabled: false)) == "")
    }

    @Test("the import bar: the percentage first, the bar as wide as the room (8 to 30 cells), the sizes dropped before the bar")
    func bar() {
        #expect(ApplyTableView.importing(done: 0, total: 2 << 30, room: nil) == "importing image   0% [░░░░░░░░░░░░░░░░░░░░] 0B/2GiB")
        #expect(ApplyTableView.importing(done: 860 << 20, total: 2 << 30, room: nil) == "importing image  41% [████████░░░░░░░░░░░░] 860MiB/2GiB")
        #expect(ApplyTableView.importing(done: 2 << 30, total: 2 << 30, room: 100) == "importing image 100% [██████████████████████████████] 2GiB/2GiB")
        #expect(ApplyTableView.importing(done: 5, total: 0, room: nil) == "importing image 100% [████████████████████] 5B/0B")
        #expect(ApplyTableView.importing(done: 1 << 30, total: 2 << 30, room: 58) == "importing image  50% [██████████░░░░░░░░░░] 1GiB/2GiB")
        #expect(ApplyTableView.importing(done: 1023 << 20, total: 2 << 30, room: 58) == "importing image  49% [█████████░░░░░░░░░░░] 1023MiB/2GiB",
                "the same width while it fills")
        #expect(ApplyTableView.importing(done: 1 << 30, total: 2 << 30, room: 38) == "importing image  50% [███████░░░░░░░░]")
        #expect(ApplyTableView.importing(done: 1 << 30, total: 2 << 30, room: 31) == "importing image  50% [████░░░░]")
        #expect(ApplyTableView.importing(done: 1 << 30, total: 2 << 30, room: 25) == "importing image  50% 1GiB/2GiB")
    }

    @Test("a failure quoting a guest's console: control characters in the row become spaces, only the first line shows")
    func controlCharacters() {
        var board = ApplyBoard(changes: [Self.db])
        board.finished(Self.db, outcome: .failed(error: "boot: console: \u{1B}[2Jlogin:\tx\r\nsecond line", duration: .seconds(1)))
        let view = ApplyTableView(style: Style(enabled: false), rows: board.rows)
        #expect(view.line(board.rows[0], now: .zero, width: 79) == "  ✗ vm.db  create    1.0s  failed: boot: console:  [2Jlogin: x")
    }

    @Test("LiveRedraw: up over the last frame's live lines, each line erased to its end, below cleared when shorter")
    func redrawCodes() {
        var redraw = LiveRedraw()
        #expect(Self.visible(redraw.frame(settled: [], live: ["a", "b"])) == "a⎋[K\nb⎋[K\n")
        #expect(Self.visible(redraw.frame(settled: ["a"], live: ["b", "c"])) == "␍⎋[2Aa⎋[K\nb⎋[K\nc⎋[K\n")
        #expect(Self.visible(redraw.frame(settled: [], live: ["c"])) == "␍⎋[2Ac⎋[K\n⎋[J")
        #expect(Self.visible(redraw.clear()) == "␍⎋[1A⎋[J")
        #expect(redraw.clear() == "")
        #expect(Self.visible(redraw.frame(settled: ["c"], live: [])) == "c⎋[K\n")
        #expect(redraw.liveLines == 0)
    }

    @Test("live only for human output on a terminal with a TERM that is not dumb and no NO_COLOR; else lines (or nothing with -o json)",
          arguments: [
            (OutputFormat.human, true, ["TERM": "xterm-256color"], ApplyDisplayMode.live),
            (.human, true, ["TERM": "xterm", "NO_COLOR": ""], .live),
            (.human, false, ["TERM": "xterm"], .lines),
            (.human, true, ["TERM": "xterm", "NO_COLOR": "1"], .lines),
            (.human, true, ["TERM": "dumb"], .lines),
            (.human, true, [:], .lines),
            (.human, true, ["TERM": ""], .lines),
            (.json, true, ["TERM": "xterm"], .quiet),
            (.json, false, [:], .quiet),
          ])
    func fallbackRules(output: OutputFormat, terminal: Bool, environment: [String: String], expected: ApplyDisplayMode) {
        #expect(ApplyDisplayMode.choose(output: output, standardOutputIsTerminal: terminal, environment: environment) == expected)
    }

    @Test("the line view (the fallback) prints today's lines byte for byte: finished actions only, no escape codes")
    func lineView() {
        let written = Written()
        let lines = ApplyProgress(style: Style(enabled: false), quiet: false, write: { written.append($0) })
        lines.started(Self.network)
        lines.progressed(Self.db, phase: .booting)
        lines.finished(Self.network, outcome: .done(detail: "switch running", duration: .milliseconds(40)))
        lines.finished(Self.image, outcome: .failed(error: "boom", duration: .milliseconds(3750)))
        lines.finished(Self.web, outcome: .skipped(reason: "vm.img failed or was skipped"))
        lines.finished(Self.db, outcome: .done(detail: "", duration: .seconds(7)))
        #expect(written.text == """
              ✓ network.back: create, switch running (0.0s)
              ✗ vm.img: create failed after 3.8s: boom
              - vm.web: create skipped: vm.img failed or was skipped
              ✓ vm.db: create (7.0s)

            """)
    }
}

final class Written: @unchecked Sendable {
    private let lock = NSLock()
    private var value = ""
    var text: String { lock.withLock { value } }
    func append(_ text: String) { lock.withLock { value += text } }
}
