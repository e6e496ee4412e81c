import Foundation
import Synchronization
import Testing
import VMMControl

@Suite("ControlServer and ControlClient over a real unix socket")
struct ControlServerTests {
    func withServer(_ handler: FakeHandler = FakeHandler(), options: ControlServer.Options = .init(),
                    _ body: (ControlServer, String) throws -> Void) throws {
        let folder = try TempFolder()
        defer { folder.cleanup() }
        let path = folder.file("control.sock")
        let server = try ControlServer(path: path, handler: handler, options: options)
        defer { server.stop() }
        try body(server, path)
    }

    @Test("every command through the client")
    func commands() throws {
        let handler = FakeHandler()
        try withServer(handler) { _, path in
            let client = try ControlClient(path: path)
            #expect(try client.describe() == FakeHandler.description)
            #expect(try client.stats() == FakeHandler.stats)
            try client.pause()
            try client.resume()
            try client.shutdown(.ctrlAltDel)
            #expect(try client.consoleInput(Array("a long line of typing\n".utf8)) == 8)
            #expect(throws: VMMControlError.remote(ControlError(.failed, "reset: KVM_SET_REGS failed: Invalid argument"))) { try client.reset() }
            try client.powerOff()
        }
        #expect(handler.calls.withLock { $0 } == [.describe, .stats, .pause, .resume, .shutdown, .consoleInput, .reset, .powerOff])
        #expect(handler.sent.withLock { $0 } == handler.calls.withLock { $0 })
    }

    @Test("16 concurrent clients, 50 requests each, all answered in order")
    func concurrent() throws {
        try withServer { _, path in
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 16) { index in
                do {
                    let client = try ControlClient(path: path)
                    for _ in 0..<50 {
                        guard try client.describe().name == "web-1" else { throw VMMControlError.protocolViolation("wrong") }
                        _ = try client.stats()
                    }
                } catch { failures.withLock { $0.append("client \(index): \(error)") } }
            }
            #expect(failures.withLock { $0 } == [])
        }
    }

    @Test("garbage, an oversize line and an unknown command get errors; the connection and others keep working")
    func badClient() throws {
        try withServer { _, path in
            let bad = try RawClient(path: path)
            bad.send("this is not json\n")
            #expect(bad.readObject()?.errorCode == "bad-request")
            bad.send([UInt8](repeating: UInt8(ascii: "x"), count: ControlProtocol.maxRequestBytes + 10) + [10])
            let tooLarge = bad.readObject()
            #expect(tooLarge?.errorCode == "request-too-large")
            #expect(tooLarge?["id"] is NSNull)
            bad.send(#"{"version":1,"id":5,"command":"launch-missiles"}"# + "\n")
            let unknown = bad.readObject()
            #expect(unknown?.errorCode == "unknown-command")
            #expect(unknown?["id"] as? Int == 5)
            bad.send([0xFF, 0xFE, 0x00, 10])
            #expect(bad.readObject()?.errorCode == "bad-request")
            // The same connection still works, and so does another one.
            bad.send(#"{"version":1,"id":6,"command":"describe"}"# + "\n")
            #expect(bad.readObject()?["ok"] as? Bool == true)
            #expect(try ControlClient(path: path).describe().pid == 4242)
        }
    }

    @Test("a client stuck mid-line or a slow handler call blocks nobody else")
    func isolation() throws {
        var options = ControlServer.Options()
        options.lineTimeout = .milliseconds(300)
        try withServer(FakeHandler(pauseDelay: .seconds(1)), options: options) { _, path in
            let stuck = try RawClient(path: path)
            stuck.send(#"{"version":1,"id":1,"comm"#)   // never finished
            let slow = try RawClient(path: path)
            slow.send(#"{"version":1,"id":2,"command":"pause"}"# + "\n")   // handler sleeps 1 s
            let start = ContinuousClock.now
            let client = try ControlClient(path: path, timeout: .milliseconds(500))
            #expect(try client.describe().state == .running)
            #expect(ContinuousClock.now - start < .milliseconds(500))
            // The stuck client is told why and dropped once its line times out.
            #expect(stuck.readObject()?.errorCode == "bad-request")
            #expect(stuck.isClosed())
            #expect(slow.readObject()?["ok"] as? Bool == true)
        }
    }

    @Test("over the connection limit: told so and closed; a slot frees when a client leaves")
    func connectionLimit() throws {
        var options = ControlServer.Options()
        options.maxConnections = 2
        try withServer(options: options) { server, path in
            var first: ControlClient? = try ControlClient(path: path)
            let second = try ControlClient(path: path)
            _ = try first?.describe()
            _ = try second.describe()
            let third = try ControlClient(path: path)
            #expect(throws: VMMControlError.self) { try third.describe() }
            first = nil
            let deadline = ContinuousClock.now + .seconds(2)
            while server.connectionCount > 1, ContinuousClock.now < deadline { usleep(1_000) }
            #expect(try ControlClient(path: path).describe().vcpus == 2)
            _ = first
        }
    }

    @Test("a stale socket file is replaced; a live one or a regular file is not; stop removes the socket")
    func socketFile() throws {
        let folder = try TempFolder()
        defer { folder.cleanup() }
        let path = folder.file("control.sock")
        let first = try ControlServer(path: path, handler: FakeHandler())
        #expect(throws: VMMControlError.socketInUse(path)) { try ControlServer(path: path, handler: FakeHandler()) }
        first.stop()
        #expect(!FileManager.default.fileExists(atPath: path))
        first.stop()   // idempotent

        // A socket file nobody serves (a crashed VMM's) is taken over.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in for (i, b) in path.utf8.enumerated() { buffer[i] = b } }
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        close(fd)
        #expect(FileManager.default.fileExists(atPath: path))
        let second = try ControlServer(path: path, handler: FakeHandler())
        #expect(try ControlClient(path: path).describe().exits == 99)
        second.stop()

        let regular = folder.file("notes.txt")
        _ = FileManager.default.createFile(atPath: regular, contents: Data("keep".utf8))
        #expect(throws: VMMControlError.notASocket(regular)) { try ControlServer(path: regular, handler: FakeHandler()) }
        #expect(throws: VMMControlError.socketPathTooLong("/tmp/" + String(repeating: "x", count: 120))) {
            try ControlServer(path: "/tmp/" + String(repeating: "x", count: 120), handler: FakeHandler())
        }
    }

    @Test("the client's errors name what failed: no server, a deadline")
    func clientErrors() throws {
        let folder = try TempFolder()
        defer { folder.cleanup() }
        #expect(throws: VMMControlError.socket(operation: "connect", path: folder.file("none.sock"), errno: ENOENT)) {
            try ControlClient(path: folder.file("none.sock"))
        }
        try withServer(FakeHandler(pauseDelay: .seconds(1))) { _, path in
            let client = try ControlClient(path: path)
            #expect(throws: VMMControlError.timeout(operation: "read from \(path)")) { try client.send(.pause, timeout: .milliseconds(100)) }
        }
    }
}
