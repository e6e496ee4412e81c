extension ControlRequest {
    /// Why a line is not a valid request, with the request's id when it could be read (to echo it).
    public struct ParseFailure: Error, Equatable, Sendable {
        public var id: Int?
        public var error: ControlError
    }

    /// Parses one request line (without its newline). Never throws or traps: every mistake becomes a
    /// `ParseFailure` with the code the protocol assigns to it.
    public static func parse(_ line: [UInt8]) -> Result<ControlRequest, ParseFailure> {
        guard line.count <= ControlProtocol.maxRequestBytes else {
            return .failure(ParseFailure(id: nil, error: ControlError(.requestTooLarge,
                "request line is \(line.count) bytes; the limit is \(ControlProtocol.maxRequestBytes)")))
        }
        let value: JSONValue
        do { value = try JSONParser.parse(line) } catch {
            return .failure(ParseFailure(id: nil, error: ControlError(.badRequest, "request is not valid JSON")))
        }
        return interpret(value)
    }

    static func interpret(_ value: JSONValue) -> Result<ControlRequest, ParseFailure> {
        guard case .object(let fields) = value else {
            return .failure(ParseFailure(id: nil, error: ControlError(.badRequest, "request must be a JSON object, not \(value.kind)")))
        }
        func fail(_ id: Int?, _ code: ControlError.Code, _ message: String) -> Result<ControlRequest, ParseFailure> {
            .failure(ParseFailure(id: id, error: ControlError(code, message)))
        }
        guard case .integer(let id)? = fields["id"], id >= 0 else {
            return fail(nil, .badRequest, "request needs \"id\", a non-negative integer")
        }
        guard let versionValue = fields["version"] else { return fail(id, .badRequest, "request needs \"version\" (\(ControlProtocol.version))") }
        guard case .integer(let version) = versionValue, version == ControlProtocol.version else {
            return fail(id, .unsupportedVersion, "this VMM speaks control protocol version \(ControlProtocol.version); the request has version \(render(versionValue))")
        }
        guard case .string(let commandText)? = fields["command"] else { return fail(id, .badRequest, "request needs \"command\", a string") }
        guard let name = ControlCommand.Name(rawValue: commandText) else {
            let known = ControlCommand.Name.allCases.map(\.rawValue).joined(separator: ", ")
            return fail(id, .unknownCommand, "unknown command \"\(commandText)\"; version \(version) knows \(known)")
        }
        let allowed = Set(["version", "id", "command"] + argumentKeys(of: name))
        if let extra = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            return fail(id, .badRequest, "unknown field \"\(extra)\" for command \(name.rawValue)")
        }
        switch command(name, fields) {
        case .success(let command): return .success(ControlRequest(id: id, command: command, version: version))
        case .failure(let message): return fail(id, .invalidArgument, message.text)
        }
    }

    private struct Message: Error { var text: String }

    private static func argumentKeys(of name: ControlCommand.Name) -> [String] {
        switch name {
        case .shutdown: return ["method"]
        case .consoleInput: return ["data"]
        case .describe, .pause, .resume, .powerOff, .reset, .stats: return []
        }
    }

    private static func command(_ name: ControlCommand.Name, _ fields: [String: JSONValue]) -> Result<ControlCommand, Message> {
        switch name {
        case .describe: return .success(.describe)
        case .pause: return .success(.pause)
        case .resume: return .success(.resume)
        case .powerOff: return .success(.powerOff)
        case .reset: return .success(.reset)
        case .stats: return .success(.stats)
        case .shutdown:
            guard let value = fields["method"] else { return .success(.shutdown(.acpi)) }
            guard case .string(let text) = value, let method = ControlCommand.ShutdownMethod(rawValue: text) else {
                let known = ControlCommand.ShutdownMethod.allCases.map(\.rawValue).joined(separator: " or ")
                return .failure(Message(text: "shutdown \"method\" must be \(known), not \(render(value))"))
            }
            return .success(.shutdown(method))
        case .consoleInput:
            guard case .string(let text)? = fields["data"] else {
                return .failure(Message(text: "console-input needs \"data\", the bytes in base64"))
            }
            guard let data = Base64.decode(text) else { return .failure(Message(text: "console-input \"data\" is not valid base64")) }
            guard !data.isEmpty, data.count <= ControlProtocol.maxConsoleInputBytes else {
                return .failure(Message(text: "console-input carries \(data.count) bytes; send 1 to \(ControlProtocol.maxConsoleInputBytes) per request"))
            }
            return .success(.consoleInput(data))
        }
    }

    private static func render(_ value: JSONValue) -> String {
        switch value {
        case .integer(let number): return String(number)
        case .string(let text): return "\"\(text.prefix(40))\""
        default: return value.kind
        }
    }
}
