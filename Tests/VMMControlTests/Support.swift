import Foundation
import Synchronization
import VMMControl

/// A short temp folder (AF_UNIX paths are limited to 107 bytes), removed by `cleanup`.
struct TempFolder {
    let path: String

    init() throws {
        var template = Array("/tmp/vmmctl-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// A handler that records calls: describe/stats answer, pause sleeps when asked to, console-input accepts
/// up to 8 bytes, reset fails, the rest succeed.
final class FakeHandler: ControlHandler {
    let calls = Mutex<[ControlCommand.Name]>([])
    let sent = Mutex<[ControlCommand.Name]>([])
    let pauseDelay: Duration

    init(pauseDelay: Duration = .zero) { self.pauseDelay = pauseDelay }

    static let description = VMDescription(name: "web-1", state: .running, vcpus: 2, memoryMiB: 256,
                                           uptimeMilliseconds: 1234, pid: 4242, exits: 99)
    static let stats = VMStats(vcpus: [.init(index: 0, exits: 60), .init(index: 1, exits: 39)],
                               exitsByReason: ["io": 80, "mmio": 10, "hlt": 9], unknownPortIO: 3, residentBytes: 8_388_608)

    func handle(_ command: ControlCommand) throws(ControlError) -> ControlResult {
        calls.withLock { $0.append(command.name) }
        switch command {
        case .describe: return .description(Self.description)
        case .stats: return .stats(Self.stats)
        case .pause:
            if pauseDelay > .zero { Thread.sleep(forTimeInterval: Double(pauseDelay.components.seconds) + Double(pauseDelay.components.attoseconds) / 1e18) }
            return .done
        case .consoleInput(let bytes): return .consoleInput(ConsoleInputResult(accepted: min(8, bytes.count)))
        case .reset: throw ControlError(.failed, "reset: KVM_SET_REGS failed: Invalid argument")
        case .resume, .shutdown, .powerOff: return .done
        }
    }

    func responseSent(for command: ControlCommand, outcome: Result<ControlResult, ControlError>) {
        sent.withLock { $0.append(command.name) }
    }
}

/// A raw client that writes arbitrary bytes and reads raw response lines.
final class RawClient {
    let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    private var pending: [UInt8] = []

    /// The next response line as a JSON object, or nil on EOF/timeout.
    func readObject() -> [String: Any]? {
        guard let line = readLine() else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any]
    }

    func readLine() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = pending.firstIndex(of: 10) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                return line
            }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return nil }
            pending += buffer[..<n]
        }
    }

    /// True when the server closed the connection (EOF) within the receive timeout.
    func isClosed() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }
}

extension [String: Any] {
    var errorCode: String? { (self["error"] as? [String: Any])?["code"] as? String }
}
