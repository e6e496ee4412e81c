import Foundation
import Testing

/// End-to-end for `vmctl exec`'s terminal sessions and exit statuses on one real default-guest VM: -it under a
/// pseudo-terminal the test creates, detaching, -t alone, the guest agent serving plain execs in between, and
/// a command's own 143 told apart from a timeout. Nested in `RealVMTests` (serialized).
extension RealVMTests {
@Suite("End to end: exec -it and exec's exit statuses")
struct ExecEndToEndTests {
    static let box = """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: xit}
        vms:
          box: {cpus: 1, memory: 128MiB}

        """

    @Test("-it: a shell on a guest pseudo-terminal with the terminal's size, Ctrl-C and its exit status, detaching hangs it up; -t alone; no terminal is a usage error; a command's own 143 is no timeout",
          .timeLimit(.minutes(4)))
    func terminalSessions() throws {
        let env = try E2EStack(stack: "xit")
        defer { env.tearDown() }
        let manifest = try env.write(Self.box)
        let apply = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(apply.status == 0, "apply: \(apply.stdout)\(apply.stderr)")

        // Without a terminal on standard input (a pipe here), -t is refused before the VM is asked anything.
        let noTerminal = try env.vmctl("exec", "-it", "box")
        #expect(noTerminal.status == 2 && noTerminal.stderr.contains("-t needs a terminal on standard input"), "\(noTerminal)")

        // -it: the default shell; what is typed runs on a /dev/pts terminal of the guest's size; `exit 3` is
        // vmctl's status. `$((6*7))` echoes as typed, so 42 on the screen means the guest's shell ran it.
        let shell = try PTYProcess(["exec", "--state-dir", env.dir, "-it", "box"], columns: 100, rows: 30)
        #expect(shell.waitFor("box:/# "), "no prompt: \(shell.text.debugDescription)")
        #expect(shell.text.contains("Ctrl-] detaches"), "the way out is announced: \(shell.text.debugDescription)")
        // Ctrl-C reaches the guest's foreground command (the agent must not pass on an ignored SIGINT).
        shell.type("sleep 4243\r")
        #expect(shell.waitFor("sleep 4243\r\n"))
        Thread.sleep(forTimeInterval: 0.5)
        shell.type([0x03])
        shell.type("echo interrupted-$?\r")
        #expect(shell.waitFor("\r\ninterrupted-130\r\n", timeout: .seconds(15)), "Ctrl-C did not end sleep: \(shell.text.debugDescription)")
        shell.type("echo $((6*7)); tty; stty size; exit 3\r")
        #expect(shell.finish() == 3, "\(shell.text.debugDescription)")
        #expect(shell.text.contains("\r\n42\r\n") && shell.text.contains("/dev/pts/") && shell.text.contains("\r\n30 100\r\n"),
                "\(shell.text.debugDescription)")

        // The agent is back in its loop: a plain exec right after.
        let after = try env.vmctl("exec", "box", "--", "echo", "served")
        #expect(after.status == 0 && after.stdout == "served\n", "\(after)")

        // Detaching (Ctrl-]) mid-command: vmctl exits 129, the guest hangs the command up, the agent serves on.
        let detached = try PTYProcess(["exec", "--state-dir", env.dir, "-it", "box", "--", "sh"])
        #expect(detached.waitFor("Ctrl-] detaches"))
        detached.type("sleep 4242\r")
        #expect(detached.waitFor("sleep 4242\r\n"), "\(detached.text.debugDescription)")
        detached.type([0x1D])
        #expect(detached.finish() == 129, "\(detached.text.debugDescription)")
        var left = ""
        let deadline = ContinuousClock.now + .seconds(10)
        repeat {
            let ps = try env.vmctl("exec", "box", "--", "ps")
            #expect(ps.status == 0, "exec after detaching: \(ps)")
            left = ps.stdout
            if !left.contains("sleep 4242") { break }
            Thread.sleep(forTimeInterval: 0.2)
        } while ContinuousClock.now < deadline
        #expect(!left.contains("sleep 4242") && !left.contains("telnetd"), "left in the guest after detaching: \(left)")

        // -t alone: a terminal for the command's output, no input.
        let outputOnly = try PTYProcess(["exec", "--state-dir", env.dir, "-t", "box", "--", "tty"])
        #expect(outputOnly.finish() == 0)
        #expect(outputOnly.text.hasPrefix("/dev/pts/"), "\(outputOnly.text.debugDescription)")

        // A command's own 143 is its status; a real timeout is reported and exits 124.
        let own = try env.vmctl("exec", "box", "--", "sh", "-c", "exit 143")
        #expect(own.status == 143 && own.stderr.isEmpty, "\(own)")
        let started = ContinuousClock.now
        let slow = try env.vmctl("exec", "--timeout", "2s", "box", "--", "sleep", "30")
        #expect(slow.status == 124 && slow.stderr.contains("ran longer than 2.0 seconds"), "\(slow)")
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
}
