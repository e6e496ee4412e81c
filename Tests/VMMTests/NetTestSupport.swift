import Foundation
import Glibc
import Testing
@testable import VMM

/// The switch's end of a NIC connection for tests: a unix listener in a short temp folder, one accepted peer,
/// and reads/writes with deadlines.
final class TestSwitchSocket {
    let folder: TempFolder
    let path: String
    private let listener: Int32
    private(set) var peer: Int32 = -1

    init() throws {
        folder = try TempFolder()
        path = folder.file("switch.sock")
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { for (index, byte) in bytes.enumerated() { $0[index] = byte } }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard listener >= 0, bound == 0, listen(listener, 4) == 0 else {
            throw VMMTestSupport.Failure(description: "listen on \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        if peer >= 0 { close(peer) }
        close(listener)
        folder.cleanup()
    }

    /// Accepts the backend's connection; false if none came within `timeout`.
    @discardableResult
    func accept(timeout: Int32 = 20_000) -> Bool {
        guard NetTestFrames.waitReadable(listener, timeout: timeout) else { return false }
        peer = Glibc.accept(listener, nil, nil)
        return peer >= 0
    }

    func write(_ bytes: [UInt8]) {
        var done = 0
        while done < bytes.count {
            let count = bytes[done...].withUnsafeBytes { Glibc.write(peer, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            done += count
        }
    }

    /// Reads exactly `count` bytes, or what arrived before `timeout`.
    func read(_ count: Int, timeout: Duration = .seconds(5)) -> [UInt8] {
        var result: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while result.count < count, ContinuousClock.now < deadline {
            var entry = pollfd(fd: peer, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 10) > 0 else { continue }
            let got = recv(peer, &buffer, min(buffer.count, count - result.count), 0)
            guard got > 0 else { break }
            result += buffer[..<got]
        }
        return result
    }

    func closePeer() {
        close(peer)
        peer = -1
    }

    static func frame(_ frame: [UInt8]) -> [UInt8] { StreamFraming.encode(frame) }

    /// Sends large frames through `backend` (its send buffer made small) until one is cut short and its tail left
    /// pending; returns the frames that went out whole, the cut one included.
    static func sendUntilCutShort(_ backend: SwitchBackend) -> [[UInt8]] {
        var small: Int32 = 4096
        setsockopt(backend.fd, SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var sent: [[UInt8]] = []
        for index in 0..<2000 where !backend.hasPendingOutput {
            let frame = NetTestFrames.frame(length: 5000 + index * 37 % 4000, seed: UInt8(truncatingIfNeeded: index))
            if backend.send(frame) == .sent { sent.append(frame) }
        }
        return sent
    }

    /// Reads exactly the framed bytes of `frames` and returns the frames they hold.
    func readFrames(totalling frames: [[UInt8]]) throws -> [[UInt8]] {
        var framing = StreamFraming()
        return try framing.feed(read(frames.reduce(0) { $0 + 4 + $1.count }, timeout: .seconds(10))[...])
    }
}

enum NetTestFrames {
    /// A broadcast frame with EtherType 0x88B5 (local experimental) and a payload told apart by `seed`.
    static func frame(length: Int = 60, seed: UInt8 = 1) -> [UInt8] {
        let head: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x88, 0xB5]
        return head + (0..<(length - head.count)).map { UInt8(truncatingIfNeeded: $0 &* 3 &+ Int(seed)) }
    }

    /// Waits until `fd` is readable (or `timeout` passes).
    static func waitReadable(_ fd: Int32, timeout: Int32 = 5000) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, timeout) > 0
    }
}
