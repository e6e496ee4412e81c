import Foundation

/// Talks to the default guest's agent over the VM's virtio-serial channel (see `GuestInit.agentScript`).
public struct GuestAgentClient {
    public struct Result: Sendable {
        public var exitStatus: Int32
        public var stdout: Data
        public var stderr: Data
        /// True when the guest's `timeout` ended the command.
        public var timedOut: Bool { exitStatus == 143 || exitStatus == 124 }
    }

    let socketPath: String
    let vm: String

    public init(socketPath: String, vm: String) {
        self.socketPath = socketPath
        self.vm = vm
    }

    /// Runs `script` with `sh` in the guest and returns its output and exit status.
    public func exec(script: String, stdin: Data = Data(), timeout: Duration) throws -> Result {
        // The VMM's agent socket takes one client and the agent runs one command at a time: a second exec
        // would sit unserved and fail with "no guest agent answers". Take turns instead.
        let lock = open(socketPath + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if lock >= 0 { while flock(lock, LOCK_EX) != 0 && errno == EINTR {} }
        defer { if lock >= 0 { close(lock) } }
        let socket = try connect()
        try handshake(socket)
        let seconds = max(1, timeout.components.seconds)
        let id = UInt32.random(in: 1...UInt32.max)
        let request = "EXEC \(id) \(seconds) \(Self.encode(Data(script.utf8))) \(Self.encode(stdin))\n"
        try socket.write(Data(request.utf8), deadline: .now + .seconds(5))
        // The guest enforces the timeout; give it a little longer to report back.
        let line = try readLine(socket, prefix: "DONE \(id) ", deadline: .now + timeout + .seconds(5))
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 5, let status = Int32(fields[2]) else {
            throw RuntimeError.vm(name: vm, operation: "exec", reason: "the guest agent sent a malformed reply")
        }
        return Result(exitStatus: status, stdout: Self.decode(fields[3]), stderr: Self.decode(fields[4]))
    }

    private func connect() throws -> UnixSocket {
        do { return try UnixSocket(connectingTo: socketPath) } catch {
            throw RuntimeError.vm(name: vm, operation: "exec", reason: "the VM has no guest agent channel (is it running, and started by this vmctl?)")
        }
    }

    /// Pings until the agent answers: a message sent while the guest has the port closed (between two
    /// sessions, or while it boots) is lost, so one ping is not enough.
    private func handshake(_ socket: UnixSocket) throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            let id = UInt32.random(in: 1...UInt32.max)
            try socket.write(Data("PING \(id)\n".utf8), deadline: .now + .seconds(1))
            if (try? readLine(socket, prefix: "PONG \(id)", deadline: .now + .milliseconds(300))) != nil { return }
        }
        throw RuntimeError.vm(name: vm, operation: "exec", reason: "no guest agent answers: the VM boots its own kernel (only the default guest has the agent) or is still booting")
    }

    private func readLine(_ socket: UnixSocket, prefix: String, deadline: ContinuousClock.Instant) throws -> String {
        var buffer = Data()
        while true {
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                if line.hasPrefix(prefix) { return line }
            }
            do { buffer.append(try socket.read(deadline: deadline)) } catch UnixSocket.Failure.timeout {
                throw RuntimeError.vm(name: vm, operation: "exec", reason: "the guest agent did not answer in time")
            }
        }
    }

    static func encode(_ data: Data) -> String { data.isEmpty ? "-" : data.base64EncodedString() }
    static func decode(_ field: Substring) -> Data { field == "-" ? Data() : Data(base64Encoded: String(field)) ?? Data() }
}
