import Foundation
import Testing
@testable import Runtime

/// What the guest agent answers, as vmctl reads it: DONE with and without the timed-out flag, the end marker
/// of a terminal session.
@Suite("Guest agent replies")
struct GuestAgentReplyTests {
    @Test("DONE with the agent's timed-out flag: a command's own 143 or 124 is its status, not a timeout")
    func doneWithFlag() throws {
        let own = try #require(GuestAgentClient.parseDone("DONE 9 143 aGkK - 0"))
        #expect(own == GuestAgentClient.Result(exitStatus: 143, stdout: Data("hi\n".utf8), stderr: Data(), timedOut: false))
        #expect(GuestAgentClient.parseDone("DONE 9 124 - - 0")?.timedOut == false)
        let ended = try #require(GuestAgentClient.parseDone("DONE 9 137 - ZXJyCg== 1"))
        #expect(ended.timedOut && ended.exitStatus == 137 && ended.stderr == Data("err\n".utf8))
    }

    @Test("five fields (an agent of an older guest, which used `timeout`): 143 and 124 still read as timeouts")
    func legacyDone() {
        #expect(GuestAgentClient.parseDone("DONE 9 143 - -")?.timedOut == true)
        #expect(GuestAgentClient.parseDone("DONE 9 124 - -")?.timedOut == true)
        #expect(GuestAgentClient.parseDone("DONE 9 3 - -")?.timedOut == false)
    }

    @Test("malformed replies are refused, not guessed", arguments: [
        "DONE 9 x - - 0", "DONE 9 0 - - 2", "DONE 9 0 - -  ", "DONE 9 0 -", "DONE 9 0 !!! - 0", "PONG 9 0 - - 0",
    ])
    func malformed(_ line: String) {
        #expect(GuestAgentClient.parseDone(line) == nil)
    }

    @Test("the agent's end marker: id and status, \"-\" for an unknown status, anything else is not a marker")
    func endMarker() {
        #expect(GuestTerminal.parseEnd(Array("TTYDONE 42 3".utf8)).map { "\($0.id) \(String(describing: $0.status))" } == "42 Optional(3)")
        #expect(GuestTerminal.parseEnd(Array("TTYDONE 42 -".utf8)).map { "\($0.id) \(String(describing: $0.status))" } == "42 nil")
        #expect(GuestTerminal.parseEnd(Array("TTYDONE 42".utf8)) == nil)
        #expect(GuestTerminal.parseEnd(Array("DONE 42 3".utf8)) == nil)
        #expect(GuestTerminal.parseEnd(Array("TTYDONE x 3".utf8)) == nil)
    }
}
