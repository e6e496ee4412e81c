import Foundation

/// One turn on a VM's guest-agent channel (`AgentTurn`), the connection, the handshake, and line reading
/// that keeps whatever arrives after a line (an interactive session's start).
final class AgentChannel {
    let socket: UnixSocket
    let vm: String
    let operation: String
    private let turn: AgentTurn
    private var buffer = Data()

    /// Takes the turn, connects, and waits until the agent answers a ping.
    init(socketPath: String, vm: String, operation: String, kind: AgentTurn.Kind) throws {
        self.vm = vm
        self.operation = operation
        turn = try AgentTurn(path: socketPath + ".lock", kind: kind, vm: vm, operation: operation)
        do { socket = try UnixSocket(connectingTo: socketPath) } catch {
            throw RuntimeError.vm(name: vm, operation: operation, reason: "the VM has no guest agent channel (is it running, and started by this vmctl?)")
        }
        try handshake()
    }

    /// Hangs up and gives the turn to the next vmctl, now rather than when this object goes.
    func finish() {
        shutdown(socket.fd, Int32(SHUT_RDWR))
        turn.release()
    }

    static func newID() -> UInt32 { UInt32.random(in: 1...UInt32.max) }

    func send(_ text: String) throws {
        do { try socket.write(Data(text.utf8), deadline: .now + .seconds(5)) } catch {
            throw failure("cannot write to the guest agent channel: \(error)")
        }
    }

    /// The next line that starts with `prefix` (earlier lines are skipped: answers to pings that arrived
    /// late, a previous session's end marker), or nil when the deadline passes first.
    func readLine(prefix: String, deadline: ContinuousClock.Instant) throws -> String? {
        while true {
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                if line.hasPrefix(prefix) { return line }
            }
            do { buffer.append(try socket.read(deadline: deadline)) } catch UnixSocket.Failure.timeout {
                return nil
            } catch {
                throw failure("the guest agent channel closed (did the VM stop?): \(error)")
            }
        }
    }

    /// What was read past the last line returned, handed over once.
    func takeBuffered() -> Data {
        defer { buffer = Data() }
        return buffer
    }

    func failure(_ reason: String) -> RuntimeError {
        .vm(name: vm, operation: operation, reason: reason)
    }

    /// Pings until the agent answers: a message sent while the guest has the port closed (between two
    /// sessions, or while it boots) is lost, so one ping is not enough.
    private func handshake() throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            let id = Self.newID()
            try send("PING \(id)\n")
            if try readLine(prefix: "PONG \(id)", deadline: .now + .milliseconds(300)) != nil { return }
        }
        throw failure("no guest agent answers: the VM boots its own kernel (only the default guest has the agent) or is still booting")
    }
}
