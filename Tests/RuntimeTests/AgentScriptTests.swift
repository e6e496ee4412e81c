import Foundation
import Testing
@testable import Runtime

/// The guest agent's EXEC and TTY handling and `GuestAgentClient`/`GuestTerminal` against it, on the host:
/// the real agent script under the static busybox the guest runs (`HostAgent`), real busybox telnetd included.
@Suite("Guest agent script on the host", .serialized,
       .enabled(if: GuestTestSupport.hasStaticBusybox, "needs /bin/busybox (apt-get install busybox-static)"))
struct AgentScriptTests {
    @Test("EXEC: a command's own 143 and 124 are statuses; overstaying is flagged, and a command that ignores SIGTERM is killed with what it started",
          .timeLimit(.minutes(1)))
    func execTimeouts() throws {
        let agent = try HostAgent()
        defer { agent.stop() }
        let client = GuestAgentClient(socketPath: agent.socketPath, vm: "host")
        let own = try client.exec(script: "echo out; exit 143", timeout: .seconds(10))
        #expect(own == GuestAgentClient.Result(exitStatus: 143, stdout: Data("out\n".utf8), stderr: Data(), timedOut: false))
        #expect(try client.exec(script: "exit 124", timeout: .seconds(10)).timedOut == false)

        let started = ContinuousClock.now
        let slow = try client.exec(script: "echo started; sleep 30", timeout: .seconds(1))
        #expect(slow.timedOut && slow.exitStatus == 143 && slow.stdout == Data("started\n".utf8), "\(slow)")
        #expect(ContinuousClock.now - started < .seconds(5))

        let stubborn = try client.exec(script: "trap '' TERM; sleep 4567 & echo $! > \(agent.folder)/child; sleep 4567",
                                       timeout: .seconds(1))
        #expect(stubborn.timedOut && stubborn.exitStatus == 137, "\(stubborn)")
        let child = try #require(Int32(String(contentsOfFile: agent.folder + "/child", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Self.ends(child, within: .seconds(3)), "the command's background child \(child) outlived the timeout")
    }

    @Test("EXEC: when the command dies of the watchdog's SIGTERM, what it started and that ignores SIGTERM is still killed",
          .timeLimit(.minutes(1)))
    func execTimeoutKillsLeftovers() throws {
        let agent = try HostAgent()
        defer { agent.stop() }
        let client = GuestAgentClient(socketPath: agent.socketPath, vm: "host")
        // The script's own shell dies of SIGTERM at once; its child ignores SIGTERM and only SIGKILL ends it.
        let script = "sh -c 'trap \"\" TERM; echo $$ > \(agent.folder)/child; exec sleep 4567' & wait"
        let result = try client.exec(script: script, timeout: .seconds(1))
        #expect(result.timedOut && result.exitStatus == 143, "\(result)")
        let child = try #require(Int32(String(contentsOfFile: agent.folder + "/child", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Self.ends(child, within: .seconds(4)), "the command's child \(child), which ignores SIGTERM, outlived the timeout")
        if !Self.ends(child, within: .zero) { kill(child, SIGKILL) }
    }

    @Test("TTY: the window size arrives before typed input and again after SIGWINCH; 0xFF passes both ways; the exit status comes back",
          .timeLimit(.minutes(1)))
    func terminalSession() throws {
        let agent = try HostAgent()
        defer { agent.stop() }
        let script = """
            echo ready
            read line
            stty size
            printf '%s' "$line" | od -An -tx1
            printf 'A\\377\\376B\\n'
            read line
            stty size
            exit 5

            """
        let session = try TerminalDriver(client: GuestAgentClient(socketPath: agent.socketPath, vm: "host"), script: script,
                                         size: .init(columns: 80, rows: 24))
        #expect(session.waitFor("ready\r\n"))
        session.type([0x78, 0xFF, 0x79, 0x0D])
        #expect(session.waitFor("B\r\n"))
        session.resize(to: .init(columns: 132, rows: 50))
        session.type([0x0D])
        let outcome = session.finish()
        #expect(outcome == .exited(5))
        let output = session.output
        #expect(output.starts(with: Array("ready\r\n".utf8)), "telnetd's banner line break is not output: \(Self.show(output))")
        #expect(Self.contains(output, "24 80\r\n") && Self.contains(output, " 78 ff 79\r\n"), "\(Self.show(output))")
        #expect(Self.contains(output, [0x41, 0xFF, 0xFE, 0x42]), "0xFF from the guest: \(Self.show(output))")
        #expect(Self.contains(output, "50 132\r\n"), "the size after SIGWINCH: \(Self.show(output))")
    }

    @Test("TTY: detaching hangs up the guest side; the command ends with SIGHUP", .timeLimit(.minutes(1)))
    func detach() throws {
        let agent = try HostAgent()
        defer { agent.stop() }
        let pidFile = agent.folder + "/shell.pid"
        let session = try TerminalDriver(client: GuestAgentClient(socketPath: agent.socketPath, vm: "host"),
                                         script: "echo $$ > \(pidFile); echo ready; exec sleep 4567\n", size: nil)
        #expect(session.waitFor("ready"))
        session.type(Array("ab".utf8) + [0x1D])
        #expect(session.finish() == .detached)
        let pid = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Self.ends(pid, within: .seconds(5)), "the session's command \(pid) still runs after the hang-up")
    }

    @Test("a request during an interactive session fails at once, naming it, instead of waiting for hours; afterwards it is served",
          .timeLimit(.minutes(1)))
    func requestDuringSession() throws {
        let agent = try HostAgent()
        defer { agent.stop() }
        let client = GuestAgentClient(socketPath: agent.socketPath, vm: "host")
        let session = try TerminalDriver(client: client, script: "echo ready; read line; exit 0\n", size: nil)
        #expect(session.waitFor("ready"))
        let started = ContinuousClock.now
        let refused = #expect(throws: RuntimeError.self) { try client.exec(script: "echo hi", timeout: .seconds(5)) }
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect("\(refused.map { "\($0)" } ?? "")".contains("VM 'host': exec failed: the guest agent is busy with an interactive session (vmctl exec -it, pid \(getpid()))"))
        session.type([0x0D])
        #expect(session.finish() == .exited(0))
        #expect(try client.exec(script: "echo hi", timeout: .seconds(5)).stdout == Data("hi\n".utf8))
    }

    @Test("concurrent requests on the one channel each get their own answer", .timeLimit(.minutes(1)))
    func concurrentRequests() throws {
        let agent = try HostAgent()
        defer { agent.stop() }
        let results = ResultSlots(count: 3)
        let group = DispatchGroup()
        for index in 0..<3 {
            DispatchQueue.global().async(group: group) {
                let client = GuestAgentClient(socketPath: agent.socketPath, vm: "host")
                results.set(index, try? client.exec(script: "sleep 0.2; echo \(index)", timeout: .seconds(10)).stdout)
            }
        }
        #expect(group.wait(timeout: .now() + 30) == .success)
        #expect(results.all == (0..<3).map { Data("\($0)\n".utf8) })
    }

    /// True once `pid` is gone or a zombie.
    static func ends(_ pid: Int32, within limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        repeat {
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            if stat.isEmpty || stat.contains(") Z ") { return true }
            Thread.sleep(forTimeInterval: 0.05)
        } while ContinuousClock.now < deadline
        return false
    }

    static func contains(_ bytes: [UInt8], _ text: String) -> Bool { contains(bytes, Array(text.utf8)) }

    static func contains(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    static func show(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self).debugDescription }
}

/// Answers collected from several threads.
private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Data?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Data?) { lock.withLock { slots[index] = value } }
    var all: [Data?] { lock.withLock { slots } }
}
