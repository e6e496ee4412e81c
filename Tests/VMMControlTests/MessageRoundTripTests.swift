import Foundation
import Testing
@testable import VMMControl

@Suite("Control messages encode and decode")
struct MessageRoundTripTests {
    static let commands: [ControlCommand] = [
        .describe, .pause, .resume, .shutdown(.acpi), .shutdown(.ctrlAltDel), .powerOff, .reset,
        .consoleInput(Array("root\n".utf8)), .consoleInput([0, 0xFF, 0x1B]), .stats,
    ]

    static let responses: [(ControlCommand.Name, ControlResponse)] = [
        (.describe, .success(id: 1, .description(FakeHandler.description))),
        (.stats, .success(id: 2, .stats(FakeHandler.stats))),
        (.stats, .success(id: 10, .stats(VMStatsCodingTests.twoNICs))),
        (.consoleInput, .success(id: 3, .consoleInput(ConsoleInputResult(accepted: 5)))),
        (.pause, .success(id: 4, .done)),
        (.resume, .success(id: 5, .done)),
        (.shutdown, .success(id: 6, .done)),
        (.powerOff, .success(id: 7, .done)),
        (.reset, .failure(id: 8, ControlError(.failed, "reset: KVM_SET_REGS failed"))),
        (.describe, .failure(id: nil, ControlError(.requestTooLarge, "too long"))),
        (.stats, .failure(id: 9, ControlError(ControlError.Code(rawValue: "from-the-future"), "a newer VMM's code"))),
    ]

    @Test("every request survives encode → parse", arguments: commands)
    func request(_ command: ControlCommand) throws {
        let request = ControlRequest(id: 41, command: command)
        var line = try ControlCodec.line(request)
        #expect(line.last == UInt8(ascii: "\n"))
        line.removeLast()
        #expect(!line.contains(UInt8(ascii: "\n")))
        #expect(try ControlRequest.parse(line).get() == request)
        #expect(try JSONDecoder().decode(ControlRequest.self, from: Data(line)) == request)
    }

    @Test("every response survives encode → decode", arguments: 0..<responses.count)
    func response(_ index: Int) throws {
        let (command, response) = Self.responses[index]
        var line = try ControlCodec.line(response)
        line.removeLast()
        #expect(try ControlResponse.decode(line, for: command) == response)
    }

    @Test("the wire form is exactly as documented")
    func wireForm() throws {
        func text(_ value: some Encodable) throws -> String { String(decoding: try ControlCodec.line(value), as: UTF8.self) }
        #expect(try text(ControlRequest(id: 1, command: .describe)) == #"{"command":"describe","id":1,"version":1}"# + "\n")
        #expect(try text(ControlRequest(id: 2, command: .shutdown(.ctrlAltDel))) == #"{"command":"shutdown","id":2,"method":"ctrl-alt-del","version":1}"# + "\n")
        #expect(try text(ControlRequest(id: 3, command: .consoleInput(Array("ls\n".utf8)))) == #"{"command":"console-input","data":"bHMK","id":3,"version":1}"# + "\n")
        #expect(try text(ControlResponse.success(id: 4, .done)) == #"{"id":4,"ok":true,"result":{}}"# + "\n")
        #expect(try text(ControlResponse.failure(id: nil, ControlError(.badRequest, "x"))) == #"{"error":{"code":"bad-request","message":"x"},"id":null,"ok":false}"# + "\n")
    }

    @Test("a response whose result has the wrong shape is a protocol violation, not a crash")
    func wrongShape() {
        let line = Array(#"{"id":1,"ok":true,"result":{"state":"flying"}}"#.utf8)
        #expect(throws: VMMControlError.self) { try ControlResponse.decode(line, for: .describe) }
        #expect(throws: VMMControlError.self) { try ControlResponse.decode(Array(#"{"id":1,"ok":false}"#.utf8), for: .pause) }
        #expect(throws: VMMControlError.self) { try ControlResponse.decode(Array("nonsense".utf8), for: .pause) }
    }

    @Test("results match only their command")
    func matching() {
        #expect(ControlResult.done.matches(.pause))
        #expect(!ControlResult.done.matches(.describe))
        #expect(!ControlResult.stats(FakeHandler.stats).matches(.describe))
        #expect(ControlResult.consoleInput(.init(accepted: 1)).matches(.consoleInput))
    }
}
