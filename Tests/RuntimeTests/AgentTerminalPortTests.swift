import Foundation
import Testing
@testable import Runtime

/// The agent on a terminal port, as on the kvm backend (vmctl.agent=hvc0: the virtio-console's /dev/hvc0), with
/// a pseudo-terminal standing in for hvc0 (`HostAgent(port: .terminal)`).
@Suite("Guest agent on a terminal port (hvc0)", .serialized,
       .enabled(if: GuestTestSupport.hasStaticBusybox, "needs /bin/busybox (apt-get install busybox-static)"))
struct AgentTerminalPortTests {
    @Test("EXEC works through a terminal port: raw mode, no echo; CR, LF and 0xFF pass both ways unchanged",
          .timeLimit(.minutes(1)))
    func exec() throws {
        let agent = try HostAgent(port: .terminal)
        defer { agent.stop() }
        let client = GuestAgentClient(socketPath: agent.socketPath, vm: "host")
        let result = try client.exec(script: "cat; printf 'a\\r\\nb\\377\\n'; printf 'err' >&2; exit 3",
                                     stdin: Data([0x69, 0x0D, 0x0A, 0x03, 0xFF]), timeout: .seconds(10))
        #expect(result.exitStatus == 3 && !result.timedOut, "\(result)")
        #expect(result.stdout == Data([0x69, 0x0D, 0x0A, 0x03, 0xFF]) + Data("a\r\nb".utf8) + Data([0xFF, 0x0A]))
        #expect(result.stderr == Data("err".utf8))
        let settings = try #require(agent.terminalSettings)
        #expect(settings.c_lflag & tcflag_t(ECHO | ICANON | ISIG) == 0, "the agent left echo or line editing on")
        #expect(settings.c_oflag & tcflag_t(OPOST) == 0 && settings.c_iflag & tcflag_t(ICRNL) == 0, "the agent left output or CR mapping on")
    }

    @Test("TTY works through a terminal port: typed input, output and the exit status", .timeLimit(.minutes(1)))
    func terminalSession() throws {
        let agent = try HostAgent(port: .terminal)
        defer { agent.stop() }
        let script = """
            echo ready
            read line
            printf '%s' "$line" | od -An -tx1
            exit 7

            """
        let session = try TerminalDriver(client: GuestAgentClient(socketPath: agent.socketPath, vm: "host"), script: script,
                                         size: .init(columns: 80, rows: 24))
        #expect(session.waitFor("ready\r\n"))
        session.type([0x78, 0xFF, 0x79, 0x0D])
        #expect(session.finish() == .exited(7))
        #expect(AgentScriptTests.contains(session.output, " 78 ff 79\r\n"), "\(AgentScriptTests.show(session.output))")
    }
}
