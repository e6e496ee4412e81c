/// A response line: `{"id":7,"ok":true,"result":{…}}` or `{"id":7,"ok":false,"error":{"code":…,"message":…}}`.
/// `id` is null when the request's id could not be read.
public struct ControlResponse: Equatable, Sendable {
    public var id: Int?
    public var outcome: Result<ControlResult, ControlError>

    public init(id: Int?, outcome: Result<ControlResult, ControlError>) {
        self.id = id
        self.outcome = outcome
    }

    public static func success(id: Int, _ result: ControlResult) -> ControlResponse { ControlResponse(id: id, outcome: .success(result)) }
    public static func failure(id: Int?, _ error: ControlError) -> ControlResponse { ControlResponse(id: id, outcome: .failure(error)) }
}

extension ControlResponse: Encodable {
    enum Keys: String, CodingKey { case id, ok, result, error }
    private struct Empty: Codable {}

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        if let id { try container.encode(id, forKey: .id) } else { try container.encodeNil(forKey: .id) }
        switch outcome {
        case .success(let result):
            try container.encode(true, forKey: .ok)
            switch result {
            case .done: try container.encode(Empty(), forKey: .result)
            case .description(let description): try container.encode(description, forKey: .result)
            case .stats(let stats): try container.encode(stats, forKey: .result)
            case .consoleInput(let input): try container.encode(input, forKey: .result)
            }
        case .failure(let error):
            try container.encode(false, forKey: .ok)
            try container.encode(error, forKey: .error)
        }
    }
}

extension ControlResponse {
    private struct Envelope: Decodable {
        var id: Int?
        var ok: Bool
        var error: ControlError?
    }

    private struct Payload<Body: Decodable>: Decodable { var result: Body }

    /// Decodes a response line to a request for `command`: the command decides the shape of `result`.
    public static func decode(_ line: [UInt8], for command: ControlCommand.Name) throws(VMMControlError) -> ControlResponse {
        do {
            let value = try JSONParser.parse(line)
            let envelope = try JSONValueDecoder.decode(Envelope.self, from: value)
            guard envelope.ok else {
                guard let error = envelope.error else { throw VMMControlError.protocolViolation("a response with \"ok\": false has no \"error\"") }
                return .failure(id: envelope.id, error)
            }
            let result: ControlResult
            switch command {
            case .describe: result = .description(try JSONValueDecoder.decode(Payload<VMDescription>.self, from: value).result)
            case .stats: result = .stats(try JSONValueDecoder.decode(Payload<VMStats>.self, from: value).result)
            case .consoleInput: result = .consoleInput(try JSONValueDecoder.decode(Payload<ConsoleInputResult>.self, from: value).result)
            case .pause, .resume, .shutdown, .powerOff, .reset: result = .done
            }
            return ControlResponse(id: envelope.id, outcome: .success(result))
        } catch let error as VMMControlError {
            throw error
        } catch let error as JSONParser.SyntaxError {
            throw .protocolViolation("response to \(command.rawValue) is not valid JSON (\(error))")
        } catch let error as DecodingError {
            throw .protocolViolation("response to \(command.rawValue) does not decode: \(DecodingErrorText.describe(error))")
        } catch {
            throw .protocolViolation("response to \(command.rawValue) does not decode: \(error)")
        }
    }
}
