import ArgumentParser
import Foundation
import Runtime

/// `vmctl exec -t` / `-it`: the command on a pseudo-terminal in the guest, attached to this terminal.
extension ExecCommand {
    static let defaultShell = ["sh", "-l"]

    func runOnTerminal(_ client: GuestAgentClient) throws {
        let script = Self.terminalScript(argv.isEmpty ? Self.defaultShell : argv, size: TerminalWindow.size(),
                                         term: ProcessInfo.processInfo.environment["TERM"])
        let terminal: GuestTerminal
        do { terminal = try client.openTerminal(script: script) } catch {
            Console.err("vmctl: error: \(error)\n")
            throw ExitCode(1)
        }
        let signals = SignalPipe(forwarding: [SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT])
        let endpoints = GuestTerminal.Endpoints(input: stdin ? STDIN_FILENO : nil, output: STDOUT_FILENO,
                                                signals: signals.readEnd, detachKey: stdin ? ConsoleCommand.escape : nil,
                                                windowSize: TerminalWindow.size)
        // The pipe and its handlers must outlive the session, not just the last mention of `signals`.
        let outcome = withExtendedLifetime(signals) {
            Result {
                // Raw only while attached: keys like Ctrl-C go to the guest, and every way out restores the terminal.
                let raw = stdin ? RawTerminal() : nil
                defer { raw?.restore() }
                if stdin { Console.err("Connected to \(vm); Ctrl-] detaches and hangs up the command.\r\n") }
                return try terminal.attach(endpoints)
            }
        }
        switch outcome {
        case .success(.exited(let status?)):
            if status != 0 { throw ExitCode(status) }
        case .success(.exited(nil)):
            Console.err("vmctl: error: VM '\(vm)': exec -it failed: the session ended, but the guest agent could not tell the command's exit status\n")
            throw ExitCode(1)
        case .success(.detached):
            Console.err("\nDetached from \(vm); the command was hung up.\n")
            throw ExitCode(129)
        case .success(.terminalClosed):
            throw ExitCode(129)
        case .success(.signal(let signal)):
            throw ExitCode(128 + signal)
        case .failure(let error):
            Console.err("\nvmctl: error: \(error)\n")
            throw ExitCode(1)
        }
    }

    /// The guest's size and terminal type first (telnet sends the size too, but the command may start before
    /// it arrives), then the command in place of the script's shell.
    static func terminalScript(_ argv: [String], size: GuestTerminal.WindowSize?, term: String?) -> String {
        var lines: [String] = []
        if let size { lines.append("stty rows \(size.rows) cols \(size.columns) 2>/dev/null") }
        if let term, !term.isEmpty { lines.append("export TERM=\(quote(term))") }
        lines.append("exec " + argv.map(quote).joined(separator: " "))
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The size of the terminal vmctl runs in.
enum TerminalWindow {
    static func size() -> GuestTerminal.WindowSize? {
        for fd in [STDOUT_FILENO, STDIN_FILENO] {
            var size = winsize()
            if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 {
                return GuestTerminal.WindowSize(columns: Int(size.ws_col), rows: Int(size.ws_row))
            }
        }
        return nil
    }
}
