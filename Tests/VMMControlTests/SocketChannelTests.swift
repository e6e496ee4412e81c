import Foundation
import Synchronization
import Testing
import VMMControl

/// The console/agent socket channel without a VM: output never blocks, input waits for the taker.
@Suite("SocketChannel: one raw byte client")
struct SocketChannelTests {
    @Test("a client that never reads never blocks send: the buffer fills, the rest is dropped and counted")
    func slowClientDrops() throws {
        let folder = try TempFolder()
        defer { folder.cleanup() }
        let channel = try SocketChannel(path: folder.file("c.sock"), outputLimit: 4096)
        try channel.start { $0.count }
        defer { channel.stop() }
        channel.send(Array(repeating: 0x61, count: 100))   // nobody connected: discarded, not counted
        #expect(channel.droppedBytes == 0)
        let idle = try ByteClient(folder.file("c.sock"))
        #expect(waitUntil { channel.isConnected })
        let total = 8 * 1024 * 1024
        let started = ContinuousClock.now
        for _ in 0..<(total / 1024) { channel.send(Array(repeating: 0x62, count: 1024)) }
        #expect(ContinuousClock.now - started < .seconds(5), "send blocked on a client that does not read")
        #expect(channel.droppedBytes > 0 && channel.droppedBytes < total, "\(channel.droppedBytes)")
        // What was not dropped arrives, in order, once the client reads.
        let received = idle.read(atLeast: total - channel.droppedBytes, timeout: .seconds(10))
        #expect(received.count == total - channel.droppedBytes && received.allSatisfy { $0 == 0x62 })
    }

    @Test("client bytes wait for the taker (a slow guest) and arrive whole and in order; output reaches the client")
    func inputBackpressure() throws {
        let folder = try TempFolder()
        defer { folder.cleanup() }
        let taken = Mutex<[UInt8]>([])
        let channel = try SocketChannel(path: folder.file("c.sock"))
        // Like the UART's FIFO: takes at most 3 bytes per offer.
        try channel.start { bytes in
            let count = min(3, bytes.count)
            taken.withLock { $0 += bytes.prefix(count) }
            return count
        }
        defer { channel.stop() }
        let client = try ByteClient(folder.file("c.sock"))
        let typed = Array((0..<200).map { UInt8($0) })
        client.write(typed)
        #expect(waitUntil { taken.withLock { $0.count } == typed.count })
        #expect(taken.withLock { $0 } == typed)
        channel.send(Array("out".utf8))
        #expect(client.read(atLeast: 3, timeout: .seconds(5)) == Array("out".utf8))
    }

    @Test("a second client waits until the first leaves; stop ends the thread and disconnects")
    func oneAtATime() throws {
        let folder = try TempFolder()
        defer { folder.cleanup() }
        let taken = Mutex<[UInt8]>([])
        let channel = try SocketChannel(path: folder.file("c.sock"))
        try channel.start { bytes in taken.withLock { $0 += bytes }; return bytes.count }
        var first: ByteClient? = try ByteClient(folder.file("c.sock"))
        let second = try ByteClient(folder.file("c.sock"))
        first?.write([1])
        second.write([2])
        #expect(waitUntil { taken.withLock { $0 } == [1] })
        Thread.sleep(forTimeInterval: 0.2)
        #expect(taken.withLock { $0 } == [1], "the waiting client's byte was read")
        first = nil
        #expect(waitUntil { taken.withLock { $0 } == [1, 2] })
        channel.stop()
        #expect(second.read(atLeast: 1, timeout: .seconds(5)).isEmpty, "stop closes the client (end of stream)")
        #expect(!channel.isConnected)
    }

    @Test("connected hears each client arrive before its bytes and leave after the last one was taken")
    func connectionEvents() throws {
        let folder = try TempFolder()
        defer { folder.cleanup() }
        let events = Mutex<[String]>([])
        let channel = try SocketChannel(path: folder.file("c.sock"))
        // Takes one byte per offer, so the client is gone long before its last byte is taken.
        try channel.start(deliver: { bytes in
            events.withLock { $0.append(String(bytes[0])) }
            return 1
        }, connected: { up in events.withLock { $0.append(up ? "up" : "down") } })
        defer { channel.stop() }
        var client: ByteClient? = try ByteClient(folder.file("c.sock"))
        #expect(waitUntil { events.withLock { $0 } == ["up"] })
        client?.write([1, 2, 3])
        client = nil
        #expect(waitUntil { events.withLock { $0 } == ["up", "1", "2", "3", "down"] }, "\(events.withLock { $0 })")
        let next = try ByteClient(folder.file("c.sock"))
        #expect(waitUntil { events.withLock { $0.last } == "up" })
        next.write([4])
        #expect(waitUntil { events.withLock { $0 } == ["up", "1", "2", "3", "down", "up", "4"] })
    }

    private func waitUntil(_ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return condition()
    }
}

/// A unix stream client for raw bytes.
private final class ByteClient {
    let fd: Int32

    init(_ path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // Sound: test paths are far shorter than the zeroed sun_path.
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let result = withUnsafePointer(to: &address) {
            // Sound: sockaddr_un starts with the sockaddr header connect(2) reads.
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { close(fd); throw CocoaError(.fileReadUnknown) }
    }

    deinit { close(fd) }

    func write(_ bytes: [UInt8]) { _ = Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) }

    /// Reads until `count` bytes arrived, the peer closed, or `timeout` passed.
    func read(atLeast count: Int, timeout: Duration) -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = ContinuousClock.now + timeout
        while received.count < count, ContinuousClock.now < deadline {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 20) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += buffer[..<n]
        }
        return received
    }
}
