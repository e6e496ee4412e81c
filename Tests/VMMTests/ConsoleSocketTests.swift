import Foundation
import Testing
import VMMControl

/// The console and agent sockets (launch spec `consoleSocket`, `agentSocket`) against tiny payloads.
@Suite(.enabled(if: VMMTestSupport.canRun, VMMTestSupport.skipComment), .serialized)
struct ConsoleSocketTests {
    @Test("console.sock: typed bytes reach the UART; its output reaches the client and the log")
    func serialConsole() throws {
        let vm = try VMMRun(payload: "echo", serialInput: true, sockets: true)
        _ = try vm.client()
        #expect(VMMTestSupport.eventually { vm.console == "ready\n" })
        let client = try TestSocket(vm.folder.file("console.sock"))
        try client.send("hi there")
        #expect(client.read(until: "hi there") == "hi there")
        try client.send(" q")
        #expect(client.read(until: " q") == " q")
        let (status, stderr) = vm.wait()
        #expect(status == 0, "\(stderr)")
        #expect(vm.console == "ready\nhi there q")
    }

    @Test("console.sock serves one client at a time: a second one waits, then gets the console when the first leaves")
    func oneClientAtATime() throws {
        let vm = try VMMRun(payload: "echo", serialInput: true, sockets: true)
        _ = try vm.client()
        #expect(VMMTestSupport.eventually { vm.console == "ready\n" })
        var first: TestSocket? = try TestSocket(vm.folder.file("console.sock"))
        let second = try TestSocket(vm.folder.file("console.sock"))
        try first?.send("ab")
        #expect(first?.read(until: "ab") == "ab")
        try second.send("cd")   // waits in the socket: not read while the first client is connected
        #expect(second.read(until: "never", timeout: .milliseconds(300)) == "")
        #expect(vm.console == "ready\nab")
        first = nil
        #expect(second.read(until: "cd") == "cd", "the second client is served once the first closes")
        try second.send("q")
        #expect(vm.wait().status == 0)
        #expect(vm.console == "ready\nabcdq")
    }

    @Test("agent.sock is port 1 'vmctl.agent' (MULTIPORT): the guest hears the client come and go; bytes both ways, not in the log")
    func agentChannel() throws {
        let vm = try VMMRun(payload: "virtio_console_multiport", sockets: true)
        _ = try vm.client()
        #expect(VMMTestSupport.eventually { vm.console == "vmctl.agent\nready\n" }, "\(vm.console)")
        var client: TestSocket? = try TestSocket(vm.folder.file("agent.sock"))
        #expect(VMMTestSupport.eventually { vm.console.hasSuffix("open\n") }, "\(vm.console)")
        try client?.send("PING 7\n")
        #expect(client?.read(until: "PING 7\n") == "got:PING 7\n")
        client = nil   // the hang-up: PORT_OPEN 0
        let (status, stderr) = vm.wait()
        #expect(status == 0, "\(stderr)")
        #expect(vm.console == "vmctl.agent\nready\nopen\nechoed\nclosed\n")
    }

    @Test("with agentSocket, a driver without MULTIPORT has port 0 only: the socket's bytes do not reach it")
    func agentSocketNeedsMultiport() throws {
        let vm = try VMMRun(payload: "virtio_console", sockets: true)
        _ = try vm.client()
        let client = try TestSocket(vm.folder.file("agent.sock"))
        #expect(VMMTestSupport.eventually { vm.console == "ready\n" }, "\(vm.console)")
        try client.send("PING 7\n")
        #expect(client.read(until: "never", timeout: .milliseconds(300)) == "")
        #expect(vm.console == "ready\n")
        try vm.client().powerOff()
        #expect(vm.wait().status == VMMExitCode.poweredOff.rawValue)
    }

    @Test("without agentSocket the virtio-console's output goes to the console log")
    func agentOutputToLogWithoutSocket() throws {
        let vm = try VMMRun(payload: "virtio_console", serialInput: true, sockets: false)
        _ = try vm.client()
        #expect(VMMTestSupport.eventually { vm.console == "ready\n" }, "\(vm.console)")
        #expect(!FileManager.default.fileExists(atPath: vm.folder.file("agent.sock")))
        #expect(!FileManager.default.fileExists(atPath: vm.folder.file("console.sock")))
        try vm.client().powerOff()
        #expect(vm.wait().status == VMMExitCode.poweredOff.rawValue)
    }
}

/// A plain unix stream client for the raw byte sockets.
final class TestSocket {
    let fd: Int32

    init(_ path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // Sound: test paths are far shorter than sun_path, which the initializer zeroed.
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let result = withUnsafePointer(to: &address) {
            // Sound: sockaddr_un starts with the sockaddr header connect(2) reads.
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw VMMTestSupport.Failure(description: "connect \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
            throw VMMTestSupport.Failure(description: "send: \(String(cString: strerror(errno)))")
        }
    }

    /// What arrives until it ends with `suffix`, the peer closes, or `timeout` passes.
    func read(until suffix: String, timeout: Duration = .seconds(10)) -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + timeout
        while !received.ends(with: Array(suffix.utf8)), ContinuousClock.now < deadline {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 20) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
