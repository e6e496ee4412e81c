/// A blocking client of one VMM's control socket. Each call has a deadline; requests on one client are
/// sent one at a time (not thread-safe: use one client per thread).
public final class ControlClient {
    public let path: String
    public var timeout: Duration
    private let socket: UnixStreamSocket
    private var lines = LineBuffer(limit: ControlProtocol.maxResponseBytes)
    private var nextID = 1

    /// Connects to `path`; `timeout` is the default deadline of each call.
    public init(path: String, timeout: Duration = .seconds(5)) throws(VMMControlError) {
        self.path = path
        self.timeout = timeout
        socket = try UnixStreamSocket(connectingTo: path)
    }

    /// Sends `command` and waits for its response. An error response throws `.remote`.
    public func send(_ command: ControlCommand, timeout: Duration? = nil) throws(VMMControlError) -> ControlResult {
        let deadline = MonotonicInstant.now + (timeout ?? self.timeout)
        let id = nextID
        nextID += 1
        try socket.write(try ControlCodec.line(ControlRequest(id: id, command: command)), deadline: deadline)
        let response = try ControlResponse.decode(try readLine(deadline: deadline, command: command.name), for: command.name)
        switch response.outcome {
        case .failure(let error) where response.id == id || response.id == nil: throw .remote(error)
        case .success(let result) where response.id == id: return result
        default: throw .protocolViolation("response id \(response.id.map(String.init) ?? "null") does not match request id \(id)")
        }
    }

    public func describe() throws(VMMControlError) -> VMDescription {
        guard case .description(let description) = try send(.describe) else { throw .protocolViolation("describe returned another result") }
        return description
    }

    public func stats() throws(VMMControlError) -> VMStats {
        guard case .stats(let stats) = try send(.stats) else { throw .protocolViolation("stats returned another result") }
        return stats
    }

    public func pause() throws(VMMControlError) { _ = try send(.pause) }
    public func resume() throws(VMMControlError) { _ = try send(.resume) }
    public func shutdown(_ method: ControlCommand.ShutdownMethod = .acpi) throws(VMMControlError) { _ = try send(.shutdown(method)) }
    public func powerOff() throws(VMMControlError) { _ = try send(.powerOff) }
    public func reset() throws(VMMControlError) { _ = try send(.reset) }

    /// Feeds bytes to the serial console; returns how many the VMM took (fewer when its queue is full).
    public func consoleInput(_ bytes: [UInt8]) throws(VMMControlError) -> Int {
        guard case .consoleInput(let result) = try send(.consoleInput(bytes)) else {
            throw .protocolViolation("console-input returned another result")
        }
        return result.accepted
    }

    private func readLine(deadline: MonotonicInstant, command: ControlCommand.Name) throws(VMMControlError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            switch lines.next() {
            case .line(let bytes)?: return bytes
            case .tooLong?: throw .protocolViolation("response to \(command.rawValue) exceeds \(ControlProtocol.maxResponseBytes) bytes")
            case nil: break
            }
            guard let count = try socket.read(into: &buffer, deadline: deadline) else {
                throw .closed(operation: "read the response to \(command.rawValue) from \(path)")
            }
            lines.append(buffer[..<count])
        }
    }
}
