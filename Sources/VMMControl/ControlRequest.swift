/// A request line: `{"version":1,"id":7,"command":"shutdown","method":"acpi"}`. Arguments sit beside
/// `command`: `method` for shutdown (optional, default acpi), `data` (base64) for console-input.
public struct ControlRequest: Equatable, Sendable {
    public var version: Int
    public var id: Int
    public var command: ControlCommand

    public init(id: Int, command: ControlCommand, version: Int = ControlProtocol.version) {
        self.version = version
        self.id = id
        self.command = command
    }
}

extension ControlRequest: Codable {
    enum Keys: String, CodingKey, CaseIterable { case version, id, command, method, data }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(version, forKey: .version)
        try container.encode(id, forKey: .id)
        try container.encode(command.name, forKey: .command)
        switch command {
        case .shutdown(let method): try container.encode(method, forKey: .method)
        case .consoleInput(let bytes): try container.encode(Base64.encode(bytes), forKey: .data)
        case .describe, .pause, .resume, .powerOff, .reset, .stats: break
        }
    }

    /// Decodes through `ControlRequest.parse`, so Codable users get the same checks as the server.
    public init(from decoder: any Decoder) throws {
        let value = try JSONValue(from: decoder)
        switch Self.interpret(value) {
        case .success(let request): self = request
        case .failure(let failure):
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: failure.error.message))
        }
    }
}
