import Foundation

/// Talks to the default guest's agent over the VM's virtio-serial channel (see `GuestInit.agentScript`).
public struct GuestAgentClient {
    public struct Result: Sendable, Equatable {
        public var exitStatus: Int32
        public var stdout: Data
        public var stderr: Data
        /// True when the agent ended the command for running longer than its timeout.
        public var timedOut: Bool
    }

    let socketPath: String
    let vm: String

    public init(socketPath: String, vm: String) {
        self.socketPath = socketPath
        self.vm = vm
    }

    /// Runs `script` with `sh` in the guest and returns its output and exit status.
    public func exec(script: String, stdin: Data = Data(), timeout: Duration) throws -> Result {
        let channel = try AgentChannel(socketPath: socketPath, vm: vm, operation: "exec", kind: .request)
        let seconds = max(1, timeout.components.seconds)
        let id = AgentChannel.newID()
        try channel.send("EXEC \(id) \(seconds) \(Self.encode(Data(script.utf8))) \(Self.encode(stdin))\n")
        // The guest enforces the timeout (and needs up to 2 s more to kill a command that ignores SIGTERM).
        guard let line = try channel.readLine(prefix: "DONE \(id) ", deadline: .now + timeout + .seconds(5)) else {
            throw channel.failure("the guest agent did not answer in time")
        }
        guard let result = Self.parseDone(line) else { throw channel.failure("the guest agent sent a malformed reply") }
        return result
    }

    /// Starts `script` on a pseudo-terminal in the guest; the returned session relays it (`GuestTerminal.attach`).
    public func openTerminal(script: String) throws -> GuestTerminal {
        let channel = try AgentChannel(socketPath: socketPath, vm: vm, operation: "exec -it", kind: .session)
        let id = AgentChannel.newID()
        try channel.send("TTY \(id) \(Self.encode(Data(script.utf8)))\n")
        // An agent that knows TTY answers at once; an older one ignores the request.
        guard try channel.readLine(prefix: "TTYOK \(id)", deadline: .now + .seconds(5)) != nil else {
            throw channel.failure("the guest agent offers no interactive sessions: the VM runs the default guest of an older vmctl (vmctl restart \(vm) boots the current one)")
        }
        return GuestTerminal(channel: channel, id: id)
    }

    /// `DONE ID EXIT OUT ERR TIMED_OUT`. An agent from an older default guest (a VM booted before vmctl was
    /// updated) sends no TIMED_OUT: its `timeout` ended a command with 143, so that status is read as a timeout.
    static func parseDone(_ line: String) -> Result? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 5 || fields.count == 6, fields[0] == "DONE", let status = Int32(fields[2]),
              let stdout = decode(fields[3]), let stderr = decode(fields[4]) else { return nil }
        let timedOut: Bool
        if fields.count == 6 {
            guard fields[5] == "0" || fields[5] == "1" else { return nil }
            timedOut = fields[5] == "1"
        } else {
            timedOut = status == 143 || status == 124
        }
        return Result(exitStatus: status, stdout: stdout, stderr: stderr, timedOut: timedOut)
    }

    static func encode(_ data: Data) -> String { data.isEmpty ? "-" : data.base64EncodedString() }
    static func decode(_ field: Substring) -> Data? { field == "-" ? Data() : Data(base64Encoded: String(field)) }
}
