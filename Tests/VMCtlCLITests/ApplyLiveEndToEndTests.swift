import Foundation
import Testing

/// What a person at a terminal sees of `vmctl apply`, and what a log gets: the built vmctl under a
/// pseudo-terminal (PTYProcess) and with its output piped.
enum ApplyOutput {
    static let escape = "\u{1B}"

    /// The screen at the end of a pty session (the pty turns "\n" into "\r\n").
    static func screen(_ text: String) -> ScreenEmulator {
        var screen = ScreenEmulator()
        screen.feed(text)
        return screen
    }

    /// The live display's environment at a terminal: colour allowed, a TERM that moves the cursor.
    static let live: [String: String?] = ["NO_COLOR": nil, "TERM": "xterm-256color"]
}

@Suite("apply's output under a pseudo-terminal and piped (a volume-only stack: no VM boots)")
struct ApplyLiveTerminalTests {
    static let volumes = """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: tty}
        volumes:
          data: {size: 8MiB}
          logs: {size: 4MiB}

        """

    @Test("on a terminal: the table is drawn and redrawn in place (hidden cursor, cursor-up, erase), ends with each row once and the summary, the cursor shown again")
    func liveOnATerminal() throws {
        let env = try E2EStack(stack: "tty")
        defer { env.tearDown() }
        let manifest = try env.write(Self.volumes)
        let apply = try PTYProcess(["apply", "--state-dir", env.dir, "--auto-approve", manifest], columns: 100, rows: 30,
                                   environment: ApplyOutput.live)
        #expect(apply.finish() == 0, "\(apply.text.debugDescription)")
        let text = apply.text
        #expect(text.contains("\u{1B}[?25l") && text.contains("\u{1B}[?25h"), "cursor hidden, then shown: \(text.debugDescription)")
        #expect(text.contains("\r\u{1B}[2A"), "the two rows are redrawn: \(text.debugDescription)")
        #expect(text.contains("pending (wave 1)"), "the first frame shows the rows before they start")
        let screen = ApplyOutput.screen(text)
        #expect(screen.unknown.isEmpty && screen.cursorVisible, "\(screen.unknown)")
        let lines = screen.text.split(separator: "\n").map(String.init)
        let rows = lines.filter { $0.hasPrefix("  ✓ volume.") }
        #expect(rows.count == 2 && rows.allSatisfy { $0.hasSuffix("  created") }, "\(screen.text)")
        #expect(rows.first?.hasPrefix("  ✓ volume.data  create ") == true, "\(rows)")
        #expect(lines.last?.hasPrefix("Apply complete: 2 done, 0 failed or skipped, in ") == true, "\(screen.text)")
        #expect(!screen.text.contains("pending"), "nothing of the earlier frames is left: \(screen.text)")
    }

    @Test("the line view instead, without an escape code, when stdout is piped, with NO_COLOR or with TERM=dumb (or unset)",
          arguments: ["piped", "NO_COLOR", "TERM=dumb", "no TERM"])
    func linesElsewhere(_ setting: String) throws {
        let env = try E2EStack(stack: "tty")
        defer { env.tearDown() }
        let manifest = try env.write(Self.volumes)
        let text: String
        if setting == "piped" {
            // Colour allowed: only the missing terminal turns the table (and colour) off.
            let out = try VMCtlProcess.run(["apply", "--state-dir", env.dir, "--auto-approve", manifest],
                                           env: ["NO_COLOR": "", "TERM": "xterm-256color"])
            #expect(out.status == 0, "\(out)")
            text = out.stdout + out.stderr
        } else {
            let environment: [String: String?] = switch setting {
            case "NO_COLOR": ["NO_COLOR": "1", "TERM": "xterm-256color"]
            case "TERM=dumb": ["NO_COLOR": nil, "TERM": "dumb"]
            default: ["NO_COLOR": nil, "TERM": nil]
            }
            let apply = try PTYProcess(["apply", "--state-dir", env.dir, "--auto-approve", manifest], environment: environment)
            #expect(apply.finish() == 0, "\(apply.text.debugDescription)")
            text = apply.text.replacingOccurrences(of: "\r\n", with: "\n")
        }
        if setting != "no TERM" {
            #expect(!text.contains(ApplyOutput.escape), "\(setting): \(text.debugDescription)")
        } else {
            // A terminal without TERM still gets colour (as before); never the table's cursor movement.
            #expect(!text.contains("\u{1B}[?25l") && !text.contains("A\u{1B}[K"), "\(text.debugDescription)")
        }
        let plain = text.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
        let applying = plain.components(separatedBy: "\nApplying:\n").last ?? ""
        let finished = applying.split(separator: "\n").filter { $0.hasPrefix("  ✓ ") }
        #expect(finished.count == 2 && finished.allSatisfy {
            $0.range(of: #"^  ✓ volume\.(data|logs): create, created \([0-9]+\.[0-9]s\)$"#, options: .regularExpression) != nil
        }, "\(plain)")
        #expect(applying.contains("\nApply complete: 2 done, 0 failed or skipped, in "), "\(plain)")
    }
}

extension RealVMTests {
/// A real default-guest VM applied under a pseudo-terminal: its row goes through its phases to ready.
@Suite("End to end: apply's live display on a terminal")
struct ApplyLiveEndToEndTests {
    static let solo = """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: live}
        vms:
          one: {cpus: 1, memory: 128MiB}

        """

    @Test("a one-VM apply on a terminal: redrawn in place through waiting for readiness to ready with the elapsed time, the summary below; the same apply piped has no escape code",
          .timeLimit(.minutes(3)))
    func oneVM() throws {
        let env = try E2EStack(stack: "live")
        defer { env.tearDown() }
        let manifest = try env.write(Self.solo)
        let apply = try PTYProcess(["apply", "--state-dir", env.dir, "--auto-approve", manifest], columns: 100, rows: 30,
                                   environment: ApplyOutput.live)
        #expect(apply.finish(timeout: .seconds(120)) == 0, "\(apply.text.debugDescription)")
        let text = apply.text
        #expect(text.contains("\r\u{1B}[1A"), "the row is redrawn in place: \(text.debugDescription)")
        #expect(text.contains("waiting for readiness\u{1B}[K"), "\(text.debugDescription)")
        let phases = ["pending (wave 1)", "waiting for readiness", " ready\u{1B}[K"].map { text.range(of: $0)?.lowerBound }
        #expect(phases.allSatisfy { $0 != nil } && phases == phases.sorted { $0! < $1! }, "phases in order: \(text.debugDescription)")
        let screen = ApplyOutput.screen(text)
        #expect(screen.unknown.isEmpty && screen.cursorVisible, "\(screen.unknown)")
        let lines = screen.text.split(separator: "\n").map(String.init)
        let row = lines.first { $0.contains("vm.one") && !$0.contains(": create") }
        #expect(row?.range(of: #"^  ✓ vm\.one  create +[0-9]+\.[0-9]s  ready$"#, options: .regularExpression) != nil, "\(screen.text)")
        #expect(lines.last?.hasPrefix("Apply complete: 1 done, 0 failed or skipped, in ") == true, "\(screen.text)")

        // The same apply with stdout piped (and colour allowed): today's lines, no escape code.
        try awaitReady(env)
        let destroy = try env.vmctl("destroy", "--stack", "live", "--auto-approve")
        #expect(destroy.status == 0, "\(destroy)")
        let piped = try VMCtlProcess.run(["apply", "--state-dir", env.dir, "--auto-approve", manifest],
                                         env: ["NO_COLOR": "", "TERM": "xterm-256color"])
        #expect(piped.status == 0, "\(piped)")
        #expect(!(piped.stdout + piped.stderr).contains(ApplyOutput.escape), "\(piped.stdout.debugDescription)")
        #expect(piped.stdout.range(of: #"\nApplying:\n  ✓ vm\.one: create, running \([0-9]+\.[0-9]s\)\n\nApply complete: 1 done"#,
                                   options: .regularExpression) != nil, "\(piped.stdout)")
    }

    @Test("Ctrl-C on a terminal: the notice above the table, the wait ends as a failure given in full below it, the cursor shown; a second Ctrl-C quits with the cursor shown",
          .timeLimit(.minutes(3)))
    func interrupted() throws {
        let env = try E2EStack(stack: "live")
        defer { env.tearDown() }
        let manifest = try env.write(Self.solo)
        let once = try PTYProcess(["apply", "--state-dir", env.dir, "--auto-approve", manifest], columns: 100, rows: 30,
                                  environment: ApplyOutput.live)
        #expect(once.waitFor("waiting for readiness", timeout: .seconds(60)), "\(once.text.debugDescription)")
        once.signal(SIGINT)
        #expect(once.finish(timeout: .seconds(60)) == 1, "\(once.text.debugDescription)")
        let screen = ApplyOutput.screen(once.text)
        #expect(screen.cursorVisible && screen.unknown.isEmpty, "\(screen.unknown)")
        let lines = screen.text.split(separator: "\n").map(String.init)
        let notice = lines.firstIndex { $0.hasPrefix("vmctl: interrupted: finishing running actions") }
        let row = lines.firstIndex { $0.hasPrefix("  ✗ vm.one  create ") && $0.contains("failed: ") }
        let full = lines.firstIndex { $0.hasPrefix("  ✗ vm.one: create failed after ") && $0.contains("interrupted while waiting for readiness (the VM keeps booting)") }
        #expect(notice != nil && row != nil && full != nil && notice! < row! && row! < full!, "notice, table, error in full: \(screen.text)")
        #expect(lines.filter { $0.contains("vm.one  create") }.count == 1, "the row once: \(screen.text)")
        #expect(lines.last?.contains("Interrupted; run apply again to finish.") == true, "\(screen.text)")

        // Twice (on a fresh VM: the interrupted one kept booting): vmctl quits at once (130), or finishes first if
        // the first Ctrl-C ended the wait already (1); the cursor is shown either way.
        try awaitReady(env)
        let destroy = try env.vmctl("destroy", "--stack", "live", "--auto-approve")
        #expect(destroy.status == 0, "\(destroy)")
        let twice = try PTYProcess(["apply", "--state-dir", env.dir, "--auto-approve", manifest], columns: 100, rows: 30,
                                   environment: ApplyOutput.live)
        #expect(twice.waitFor("waiting for readiness", timeout: .seconds(60)), "\(twice.text.debugDescription)")
        twice.signal(SIGINT)
        Thread.sleep(forTimeInterval: 0.02)
        twice.signal(SIGINT)
        let status = twice.finish(timeout: .seconds(60))
        #expect(status == 130 || status == 1, "\(twice.text.debugDescription)")
        let after = twice.text.components(separatedBy: "\u{1B}[?25l").last ?? ""
        #expect(after.contains("\u{1B}[?25h"), "the cursor is shown again: \(twice.text.debugDescription)")
        try awaitReady(env)
    }

    /// Waits until the interrupted VM, which kept booting, is ready: a booting guest ignores the power button, and
    /// destroying it would wait out the graceful stop's timeout.
    func awaitReady(_ env: E2EStack) throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, try env.status()["one"]?.state == "starting" { Thread.sleep(forTimeInterval: 0.2) }
    }
}
}
