import Foundation
import Testing
@testable import Runtime

/// flock locks belong to an open file description, so two AgentTurns in one process contend like two vmctls.
@Suite("AgentTurn")
struct AgentTurnTests {
    @Test("a request waits for the request before it, and goes on once that one ends", .timeLimit(.minutes(1)))
    func requestWaits() throws {
        let folder = try GuestTestSupport.temporaryFolder("turn")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/agent.sock.lock"
        let first = try AgentTurn(path: path, kind: .request, vm: "v", operation: "exec")
        let waited = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let second = try? AgentTurn(path: path, kind: .request, vm: "v", operation: "exec")
            if second != nil { waited.signal() }
        }
        #expect(waited.wait(timeout: .now() + .milliseconds(500)) == .timedOut, "the second request did not wait")
        first.release()
        #expect(waited.wait(timeout: .now() + 5) == .success, "the second request did not go on")
    }

    @Test("nobody waits for an interactive session: the error names it and its pid")
    func sessionRefuses() throws {
        let folder = try GuestTestSupport.temporaryFolder("turn")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/agent.sock.lock"
        let session = try AgentTurn(path: path, kind: .session, vm: "v", operation: "exec -it")
        let error = #expect(throws: RuntimeError.self) { try AgentTurn(path: path, kind: .request, vm: "v", operation: "exec") }
        #expect("\(error.map { "\($0)" } ?? "")" == "VM 'v': exec failed: the guest agent is busy with an interactive session (vmctl exec -it, pid \(getpid())) and serves one client at a time; try again when it ends")
        session.release()
        #expect(throws: Never.self) { try AgentTurn(path: path, kind: .request, vm: "v", operation: "exec") }
    }

    @Test("a refused request leaves the session's note: the next request is refused too, not kept waiting",
          .timeLimit(.minutes(1)))
    func everyRequestRefused() throws {
        let folder = try GuestTestSupport.temporaryFolder("turn")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/agent.sock.lock"
        let session = try AgentTurn(path: path, kind: .session, vm: "v", operation: "exec -it")
        #expect(throws: RuntimeError.self) { try AgentTurn(path: path, kind: .request, vm: "v", operation: "exec") }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "session \(getpid())")
        let refused = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            if (try? AgentTurn(path: path, kind: .request, vm: "v", operation: "exec")) == nil { refused.signal() }
        }
        #expect(refused.wait(timeout: .now() + 5) == .success, "the second request waited for the session")
        session.release()  // lets a waiting second request go on, so the test ends either way
    }
}
