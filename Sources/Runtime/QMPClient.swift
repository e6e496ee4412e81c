import Foundation

/// A minimal QEMU Machine Protocol client: greeting, capabilities negotiation, commands. One per connection.
final class QMPClient {
    private let socket: UnixSocket
    private var buffer = Data()
    let timeout: Duration

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(path: String, timeout: Duration = .seconds(2)) throws {
        self.timeout = timeout
        socket = try UnixSocket(connectingTo: path)
        let deadline = ContinuousClock.now + timeout
        _ = try nextMessage(deadline: deadline)   // {"QMP": {...}} greeting
        _ = try execute("qmp_capabilities")
    }

    /// Runs a command and returns its `return` value; QMP errors become `Failure`. Events are skipped.
    @discardableResult
    func execute(_ command: String, arguments: [String: Any]? = nil) throws -> Any? {
        var message: [String: Any] = ["execute": command]
        if let arguments { message["arguments"] = arguments }
        var data = try JSONSerialization.data(withJSONObject: message)
        data.append(0x0A)
        let deadline = ContinuousClock.now + timeout
        try socket.write(data, deadline: deadline)
        while true {
            let reply = try nextMessage(deadline: deadline)
            if reply["event"] != nil { continue }
            if let error = reply["error"] as? [String: Any] {
                throw Failure(description: "QMP \(command): \(error["desc"] as? String ?? "error")")
            }
            if reply.keys.contains("return") { return reply["return"] }
        }
    }

    private func nextMessage(deadline: ContinuousClock.Instant) throws -> [String: Any] {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer.removeSubrange(buffer.startIndex...newline)
                guard !line.isEmpty else { continue }
                guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                    throw Failure(description: "QMP sent something that is not a JSON object")
                }
                return object
            }
            buffer.append(try socket.read(deadline: deadline))
        }
    }
}
