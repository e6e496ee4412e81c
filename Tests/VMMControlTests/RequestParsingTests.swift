import Testing
@testable import VMMControl

@Suite("Request parsing: every mistake gets its own code, nothing traps")
struct RequestParsingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var line: String
        var id: Int?
        var code: ControlError.Code
        var mentions: String
        var testDescription: String { line.count > 60 ? String(line.prefix(60)) + "…" : line }
    }

    static let cases: [Case] = [
        Case(line: "not json", id: nil, code: .badRequest, mentions: "not valid JSON"),
        Case(line: "[1,2]", id: nil, code: .badRequest, mentions: "must be a JSON object, not an array"),
        Case(line: #"{"version":1,"command":"describe"}"#, id: nil, code: .badRequest, mentions: "\"id\""),
        Case(line: #"{"version":1,"id":-1,"command":"describe"}"#, id: nil, code: .badRequest, mentions: "non-negative"),
        Case(line: #"{"version":1,"id":"7","command":"describe"}"#, id: nil, code: .badRequest, mentions: "\"id\""),
        Case(line: #"{"id":7,"command":"describe"}"#, id: 7, code: .badRequest, mentions: "\"version\""),
        Case(line: #"{"version":2,"id":7,"command":"describe"}"#, id: 7, code: .unsupportedVersion, mentions: "version 2"),
        Case(line: #"{"version":"1","id":7,"command":"describe"}"#, id: 7, code: .unsupportedVersion, mentions: "\"1\""),
        Case(line: #"{"version":1,"id":7}"#, id: 7, code: .badRequest, mentions: "\"command\""),
        Case(line: #"{"version":1,"id":7,"command":"self-destruct"}"#, id: 7, code: .unknownCommand, mentions: "self-destruct"),
        Case(line: #"{"version":1,"id":7,"command":"pause","force":true}"#, id: 7, code: .badRequest, mentions: "unknown field \"force\""),
        Case(line: #"{"version":1,"id":7,"command":"pause","method":"acpi"}"#, id: 7, code: .badRequest, mentions: "\"method\""),
        Case(line: #"{"version":1,"id":7,"command":"shutdown","method":"halt"}"#, id: 7, code: .invalidArgument, mentions: "acpi or ctrl-alt-del"),
        Case(line: #"{"version":1,"id":7,"command":"shutdown","method":5}"#, id: 7, code: .invalidArgument, mentions: "acpi"),
        Case(line: #"{"version":1,"id":7,"command":"console-input"}"#, id: 7, code: .invalidArgument, mentions: "\"data\""),
        Case(line: #"{"version":1,"id":7,"command":"console-input","data":"%%%"}"#, id: 7, code: .invalidArgument, mentions: "base64"),
        Case(line: #"{"version":1,"id":7,"command":"console-input","data":""}"#, id: 7, code: .invalidArgument, mentions: "0 bytes"),
        Case(line: #"{"version":1,"id":7,"command":"console-input","data":"\#(String(repeating: "QUFB", count: 1366))"}"#,
             id: 7, code: .invalidArgument, mentions: "4098 bytes"),
    ]

    @Test("malformed requests", arguments: cases)
    func malformed(_ example: Case) {
        switch ControlRequest.parse(Array(example.line.utf8)) {
        case .success(let request): Issue.record("parsed \(request)")
        case .failure(let failure):
            #expect(failure.id == example.id)
            #expect(failure.error.code == example.code)
            #expect(failure.error.message.contains(example.mentions), "\(failure.error.message)")
        }
    }

    @Test("shutdown's method defaults to acpi; field order does not matter")
    func defaults() throws {
        let request = try ControlRequest.parse(Array(#"{"command":"shutdown","id":3,"version":1}"#.utf8)).get()
        #expect(request == ControlRequest(id: 3, command: .shutdown(.acpi)))
    }

    @Test("a line over the limit is refused before it is parsed")
    func tooLarge() {
        let line = [UInt8](repeating: UInt8(ascii: " "), count: ControlProtocol.maxRequestBytes + 1)
        guard case .failure(let failure) = ControlRequest.parse(line) else { Issue.record("parsed"); return }
        #expect(failure.error.code == .requestTooLarge)
    }

    @Test("random bytes never trap")
    func fuzz() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array(#"{}[]":,0123456789-.eEtrufalsnl \"versionidcommand"#.utf8) + [0, 0xFF, 0xC3]
        for _ in 0..<2000 {
            let count = Int.random(in: 0..<80, using: &generator)
            let line = (0..<count).map { _ in alphabet.randomElement(using: &generator) ?? 0 }
            _ = ControlRequest.parse(line)
        }
    }
}
