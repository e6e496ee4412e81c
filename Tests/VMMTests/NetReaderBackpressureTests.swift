import Foundation
import Glibc
import Synchronization
import Testing
@testable import VMM

/// A device stand-in with a bounded queue, as VirtioNet's: frames taken wait in `queued` until the test drains them
/// as a guest posting buffers would; frames beyond the capacity are counted as overflow (VirtioNet's rx-queue-full).
final class BoundedTaker: Sendable {
    private struct State {
        var queued: [[UInt8]] = []
        var drained: [[UInt8]] = []
        var overflow = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// NetReader's `deliver`: takes what fits, answers the room left.
    func deliver(_ frames: [[UInt8]]) -> Int {
        state.withLock { state in
            let fitting = max(0, min(frames.count, capacity - state.queued.count))
            state.queued += frames.prefix(fitting)
            state.overflow += frames.count - fitting
            return capacity - state.queued.count
        }
    }

    /// Moves every queued frame to `drained`; how many moved.
    @discardableResult
    func drain() -> Int {
        state.withLock { state in
            defer { state.drained += state.queued; state.queued = [] }
            return state.queued.count
        }
    }

    var queued: Int { state.withLock { $0.queued.count } }
    var drained: [[UInt8]] { state.withLock { $0.drained } }
    var overflow: Int { state.withLock { $0.overflow } }
}

enum BackpressureSupport {
    /// Writes all of `bytes` to a blocking socket on a thread of its own (it blocks while the reader is paused);
    /// the returned flag turns true once everything was written.
    static func writeInBackground(_ fd: Int32, _ bytes: [UInt8]) -> TestFlag {
        let done = TestFlag()
        Thread.detachNewThread {
            var offset = 0
            while offset < bytes.count {
                let count = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return }
                offset += count
            }
            done.set()
        }
        return done
    }

    /// Whether bytes the backend has not read yet wait in its socket (left in the kernel, not taken by the VMM).
    static func unreadBytesWait(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) == 1
    }

    /// The reader's wakeups over 0.3 s once settled: a paused reader must sleep, not spin.
    static func wakeupsWhileIdle(_ reader: NetReader) -> Int {
        Thread.sleep(forTimeInterval: 0.1)
        let settled = reader.wakeups.load(ordering: .relaxed)
        Thread.sleep(forTimeInterval: 0.3)
        return reader.wakeups.load(ordering: .relaxed) - settled
    }

    /// Where two frame sequences first differ (index), nil when equal: a short message instead of 6000 frames.
    static func firstDifference(_ got: [[UInt8]], _ expected: [[UInt8]]) -> Int? {
        if let index = (0..<min(got.count, expected.count)).first(where: { got[$0] != expected[$0] }) { return index }
        return got.count == expected.count ? nil : min(got.count, expected.count)
    }

    /// `count` distinct small frames (60 bytes: the stream carries 64 per frame).
    static func burst(_ count: Int) -> [[UInt8]] {
        (0..<count).map { index in
            var frame = NetTestFrames.frame(length: 60, seed: UInt8(truncatingIfNeeded: index))
            // The index in the payload's first bytes: every frame differs, so order and identity are checked.
            frame[14] = UInt8(truncatingIfNeeded: index >> 8)
            frame[15] = UInt8(truncatingIfNeeded: index)
            return frame
        }
    }
}

/// A flag a test's own thread sets.
final class TestFlag: Sendable {
    private let value = Atomic(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

@Suite("virtio-net reader backpressure (no /dev/kvm needed)")
struct NetReaderBackpressureTests {
    @Test("a full device: the reader stops reading (bytes stay in the socket, no wakeups), keeps what it read, and resumes on room")
    func pausesAndResumes() throws {
        let peer = try TestSwitchSocket()
        let backend = try SwitchBackend(path: peer.path, nic: "nets[0]")
        peer.accept()
        let taker = BoundedTaker(capacity: 16)
        let reader = NetReader(nic: "nets[0]", backend: backend) { taker.deliver($0) }
        try reader.start()
        defer { reader.stop() }
        let frames = BackpressureSupport.burst(6000)
        let written = BackpressureSupport.writeInBackground(peer.peer, frames.flatMap(TestSwitchSocket.frame))

        #expect(VMMTestSupport.eventually(within: .seconds(20)) { taker.queued == 16 && reader.isWaitingForRoom })
        #expect(BackpressureSupport.unreadBytesWait(backend.fd), "the reader took everything from the socket")
        #expect(BackpressureSupport.wakeupsWhileIdle(reader) == 0, "the reader keeps waking up while the device is full")
        #expect(taker.queued == 16 && taker.overflow == 0)
        #expect(!written.isSet, "384 KB went through a paused reader: it did not push back")

        // A slow guest: whatever waits is taken, then a pause; the reader hands over the rest as room comes.
        let deadline = ContinuousClock.now + .seconds(60)
        while taker.drained.count < frames.count, ContinuousClock.now < deadline {
            if taker.drain() > 0 { reader.deviceHasRoom() }
            Thread.sleep(forTimeInterval: 0.001)
        }
        #expect(taker.drained.count == frames.count)
        #expect(BackpressureSupport.firstDifference(taker.drained, frames) == nil, "frames lost, duplicated or out of order")
        #expect(taker.overflow == 0)
        #expect(VMMTestSupport.eventually { written.isSet })
    }

    @Test("stop() ends a reader paused on a full device promptly")
    func stopWhilePaused() throws {
        let peer = try TestSwitchSocket()
        let backend = try SwitchBackend(path: peer.path, nic: "nets[0]")
        peer.accept()
        let taker = BoundedTaker(capacity: 4)
        let reader = NetReader(nic: "nets[0]", backend: backend) { taker.deliver($0) }
        try reader.start()
        peer.write(BackpressureSupport.burst(100).flatMap(TestSwitchSocket.frame))
        #expect(VMMTestSupport.eventually { reader.isWaitingForRoom })
        let started = ContinuousClock.now
        reader.stop()
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(taker.queued == 4 && taker.overflow == 0)
    }

    @Test("while input is paused, a half-written frame still goes out once the switch reads again")
    func flushesWhilePaused() throws {
        let peer = try TestSwitchSocket()
        let backend = try SwitchBackend(path: peer.path, nic: "nets[0]")
        peer.accept()
        let taker = BoundedTaker(capacity: 0)  // never any room: input stays paused throughout
        let reader = NetReader(nic: "nets[0]", backend: backend) { taker.deliver($0) }
        try reader.start()
        defer { reader.stop() }
        peer.write(TestSwitchSocket.frame(NetTestFrames.frame(length: 60)))
        #expect(VMMTestSupport.eventually { reader.isWaitingForRoom })
        let sent = TestSwitchSocket.sendUntilCutShort(backend)
        #expect(backend.hasPendingOutput, "no send was cut short")
        #expect(try peer.readFrames(totalling: sent) == sent)
        #expect(!backend.hasPendingOutput)
        #expect(BackpressureSupport.unreadBytesWait(backend.fd) && taker.overflow == 0)
    }
}
