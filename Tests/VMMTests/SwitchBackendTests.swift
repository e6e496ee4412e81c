import Foundation
import Glibc
import Synchronization
import Testing
import VMMDevices
@testable import VMM

/// The switch backend against a test listener playing vmctl-switch: framing both ways, a switch that stops
/// reading, one that closes, one that speaks another protocol; and the NIC reader thread on top.
@Suite("virtio-net switch backend and reader (no /dev/kvm needed)")
struct SwitchBackendTests {
    @Test("a missing switch socket fails naming the NIC and the path")
    func missingSocket() throws {
        let folder = try TempFolder()
        defer { folder.cleanup() }
        let path = folder.file("nothing.sock")
        #expect {
            _ = try SwitchBackend(path: path, nic: "nets[1]")
        } throws: { error in
            "\(error)" == "attach devices: nets[1]: connect to switch \(path): No such file or directory (is the network's vmctl-switch running?)"
        }
    }

    @Test("a frame goes out as a 4-byte big-endian length and the frame")
    func transmitFraming() throws {
        let peer = try TestSwitchSocket()
        let backend = try SwitchBackend(path: peer.path, nic: "nets[0]")
        peer.accept()
        let frame = NetTestFrames.frame(length: 300)
        #expect(backend.send(frame) == .sent)
        #expect(peer.read(304) == [0, 0, 1, 0x2C] + frame)
    }

    @Test("frames from the switch come back whole, split across reads and several per read")
    func receiveFraming() throws {
        let peer = try TestSwitchSocket()
        let backend = try SwitchBackend(path: peer.path, nic: "nets[0]")
        peer.accept()
        let first = NetTestFrames.frame(length: 60, seed: 1)
        let second = NetTestFrames.frame(length: 1514, seed: 2)
        let third = NetTestFrames.frame(length: 64, seed: 3)
        let stream = TestSwitchSocket.frame(first) + TestSwitchSocket.frame(second) + TestSwitchSocket.frame(third)
        peer.write(Array(stream[..<100]))
        #expect(NetTestFrames.waitReadable(backend.fd))
        var read = backend.readFrames(limit: 64)
        #expect(read.frames == [first] && read.closed == nil)
        peer.write(Array(stream[100...]))
        var frames: [[UInt8]] = []
        while frames.count < 2, NetTestFrames.waitReadable(backend.fd) {
            read = backend.readFrames(limit: 64)
            frames += read.frames
        }
        #expect(frames == [second, third])
    }

    @Test("a switch that stops reading: frames are dropped as busy, never half-written; the tail goes out later")
    func fullSocket() throws {
        let peer = try TestSwitchSocket()
        let backend = try SwitchBackend(path: peer.path, nic: "nets[0]")
        peer.accept()
        var small: Int32 = 4096
        setsockopt(backend.fd, SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        // Real frames (≤ 1522 bytes with the prefix) always fit one socket buffer chunk; frames over half the
        // 8 KiB buffer are what a socket can take in part, so the tail path runs too.
        var sent: [[UInt8]] = []
        var busy = 0
        var tails = 0
        for index in 0..<400 {
            let frame = NetTestFrames.frame(length: 4500 + index * 37 % 4000, seed: UInt8(truncatingIfNeeded: index))
            switch backend.send(frame) {
            case .sent: sent.append(frame)
            case .busy: busy += 1
            case .down: Issue.record("the connection is open")
            }
            if backend.hasPendingOutput { tails += 1 }
        }
        #expect(busy > 0, "the socket never filled up")
        #expect(tails > 0, "no frame was written in part")
        #expect(!sent.isEmpty)
        // Drain as the switch would, letting the backend finish its tail whenever the socket has room again.
        var stream: [UInt8] = []
        var framing = StreamFraming()
        var received: [[UInt8]] = []
        while received.count < sent.count {
            let chunk = peer.read(1, timeout: .seconds(2))
            guard !chunk.isEmpty else { break }
            stream += chunk + peer.read(65_536, timeout: .milliseconds(5))
            received += try framing.feed(stream[...])
            stream = []
            backend.flushPendingOutput()
        }
        #expect(received == sent)
        #expect(!backend.hasPendingOutput && framing.buffered == 0)
    }

    @Test("the switch closes: the read says so, sends answer down without SIGPIPE")
    func switchCloses() throws {
        let peer = try TestSwitchSocket()
        let backend = try SwitchBackend(path: peer.path, nic: "nets[0]")
        peer.accept()
        peer.closePeer()
        #expect(NetTestFrames.waitReadable(backend.fd))
        let read = backend.readFrames(limit: 64)
        #expect(read.closed == "the switch closed the connection")
        #expect(backend.send(NetTestFrames.frame()) == .down)
        #expect(backend.send(NetTestFrames.frame()) == .down)
    }

    @Test("a peer that writes after the backend's peer vanished: send fails as down, the process lives")
    func writeToClosedPeer() throws {
        let peer = try TestSwitchSocket()
        let backend = try SwitchBackend(path: peer.path, nic: "nets[0]")
        peer.accept()
        peer.closePeer()
        // No read first: the first send may still succeed (the kernel accepts it), later ones see EPIPE.
        let results = (0..<4).map { _ in backend.send(NetTestFrames.frame()) }
        #expect(results.last == .down)
    }

    @Test("a length beyond 65550 bytes is not the stream protocol: the NIC stops reading")
    func notTheProtocol() throws {
        let peer = try TestSwitchSocket()
        let backend = try SwitchBackend(path: peer.path, nic: "nets[0]")
        peer.accept()
        peer.write([0x7F, 0xFF, 0xFF, 0xFF] + NetTestFrames.frame())
        #expect(NetTestFrames.waitReadable(backend.fd))
        #expect(backend.readFrames(limit: 64).closed == "the switch announced a 2147483647-byte frame: not the stream protocol")
        #expect(backend.send(NetTestFrames.frame()) == .down)
    }

    @Test("the reader thread delivers frames in order, stops polling a closed socket (no spinning), and stops")
    func readerThread() throws {
        let peer = try TestSwitchSocket()
        let backend = try SwitchBackend(path: peer.path, nic: "nets[0]")
        peer.accept()
        let delivered = Mutex<[[UInt8]]>([])
        let reader = NetReader(nic: "nets[0]", backend: backend) { frames in
            delivered.withLock { $0 += frames }
            return .max
        }
        try reader.start()
        defer { reader.stop() }
        let frames = (1...5).map { NetTestFrames.frame(length: 60 + $0, seed: UInt8($0)) }
        peer.write(frames.flatMap(TestSwitchSocket.frame))
        #expect(VMMTestSupport.eventually(within: .seconds(5)) { delivered.withLock { $0.count } == 5 })
        #expect(delivered.withLock { $0 } == frames)
        peer.closePeer()
        #expect(VMMTestSupport.eventually(within: .seconds(5)) { backend.send(NetTestFrames.frame()) == .down })
        Thread.sleep(forTimeInterval: 0.1)
        let settled = reader.wakeups.load(ordering: .relaxed)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(reader.wakeups.load(ordering: .relaxed) == settled, "the reader keeps waking up on a closed socket")
    }

    @Test("the reader finishes a half-written frame once the switch reads again, without another send")
    func readerFlushesTail() throws {
        let peer = try TestSwitchSocket()
        let backend = try SwitchBackend(path: peer.path, nic: "nets[0]")
        peer.accept()
        let reader = NetReader(nic: "nets[0]", backend: backend) { _ in .max }
        try reader.start()
        defer { reader.stop() }
        let sent = TestSwitchSocket.sendUntilCutShort(backend)
        #expect(backend.hasPendingOutput, "no send was cut short")
        #expect(try peer.readFrames(totalling: sent) == sent)
        #expect(!backend.hasPendingOutput)
    }
}
