import Foundation
import Glibc
import KVM
import Testing
import VMMControl
import VMMDevices
@testable import VMM

/// MiniNetDriver's receive queue (8 entries, as its probe sets) run as a ring: every used buffer is read and
/// offered again, as a guest's driver refills its receive ring.
private struct ReceiveRing {
    let driver: MiniNetDriver
    static let size: UInt16 = 8
    static let bufferLength: UInt32 = 1530
    private(set) var offered: UInt16 = 0
    private(set) var seen: UInt16 = 0

    func buffer(_ id: UInt16) -> UInt64 { MiniNetDriver.data + UInt64(id) * 0x800 }

    /// Offers descriptor `id` (one writable buffer) at the next avail position; `publish` makes it visible.
    mutating func offer(_ id: UInt16) throws {
        let descriptor = MiniNetDriver.queueBase + 16 * UInt64(id)
        try driver.ram.writeInteger(GuestAddress(descriptor), buffer(id))
        try driver.ram.writeInteger(GuestAddress(descriptor + 8), Self.bufferLength)
        try driver.ram.writeInteger(GuestAddress(descriptor + 12), UInt16(2))
        try driver.ram.writeInteger(GuestAddress(MiniNetDriver.queueBase + 0x1000 + 4 + 2 * UInt64(offered % Self.size)), id)
        offered &+= 1
    }

    /// Writes the avail index and kicks the receive queue.
    func publish() throws {
        try driver.ram.writeInteger(GuestAddress(MiniNetDriver.queueBase + 0x1000 + 2), offered)
        driver.write32(0x50, 0)
    }

    /// The frames (header stripped) in buffers used since the last call; each buffer is offered again.
    mutating func takeFrames() throws -> [[UInt8]] {
        let used = driver.usedIndex(queue: 0)
        var frames: [[UInt8]] = []
        while seen != used {
            let entry = MiniNetDriver.queueBase + 0x2000 + 4 + 8 * UInt64(seen % Self.size)
            let id: UInt32 = try driver.ram.readInteger(GuestAddress(entry))
            let length: UInt32 = try driver.ram.readInteger(GuestAddress(entry + 4))
            let bytes = try driver.ram.readBytes(GuestAddress(buffer(UInt16(id))), count: Int(length))
            frames.append(Array(bytes.dropFirst(VirtioNetHeader.length)))
            try offer(UInt16(id))
            seen &+= 1
        }
        return frames
    }
}

@Suite("DeviceSet NIC backpressure (no /dev/kvm needed)", .serialized)
struct DeviceSetNetBackpressureTests {
    @Test("a burst of 6000 frames into a guest without buffers waits in the socket; a slow guest then gets all, in order, none dropped")
    func burstWaitsForTheGuest() throws {
        let folder = try TempFolder()
        defer { folder.cleanup() }
        let peer = try TestSwitchSocket()
        let ram = try GuestRAM(size: 8 << 20)
        let spec = LaunchSpec(name: "burst", vcpus: 1, memoryMiB: 8, kernel: "/nonexistent", cmdline: "console=ttyS0",
                              nets: [.init(mac: "52:54:00:00:00:01", switchSocket: peer.path)],
                              consoleLog: folder.file("console.log"), controlSocket: folder.file("control.sock"))
        let devices = try DeviceSet(spec: spec, memory: ram, events: Supervisor())
        peer.accept()
        let driver = MiniNetDriver(bus: devices.mmio, base: devices.virtio[0].base, ram: ram)
        driver.probe()
        try devices.startNetworkReaders()
        defer { devices.stopNetworkReaders() }
        let nic = devices.nets[0]
        func stats() -> VirtioNetStats { nic.transport.withVirtioNet { $0.stats } ?? VirtioNetStats() }

        let frames = BackpressureSupport.burst(6000)
        let written = BackpressureSupport.writeInBackground(peer.peer, frames.flatMap(TestSwitchSocket.frame))
        // No receive buffers yet: the device queues its 256, the reader stops, the rest stays in the socket.
        #expect(VMMTestSupport.eventually(within: .seconds(20)) {
            nic.transport.withVirtioNet { $0.pendingFrames } == 256 && nic.reader.isWaitingForRoom
        })
        #expect(BackpressureSupport.unreadBytesWait(nic.reader.backend.fd))
        #expect(BackpressureSupport.wakeupsWhileIdle(nic.reader) == 0, "the reader spins while the guest posts no buffers")
        #expect(!written.isSet && stats().totalDropped == 0)

        // A slow guest: 8 buffers, refilled every millisecond or so.
        var ring = ReceiveRing(driver: driver)
        for id in 0..<ReceiveRing.size { try ring.offer(id) }
        try ring.publish()
        var received: [[UInt8]] = []
        let deadline = ContinuousClock.now + .seconds(90)
        while received.count < frames.count, ContinuousClock.now < deadline {
            let taken = try ring.takeFrames()
            received += taken
            if !taken.isEmpty { try ring.publish() }
            Thread.sleep(forTimeInterval: 0.001)
        }
        #expect(received.count == frames.count)
        #expect(BackpressureSupport.firstDifference(received, frames) == nil, "frames lost, duplicated or out of order")
        let final = stats()
        #expect(final.framesIn == UInt64(frames.count) && final.totalDropped == 0, "\(final)")
        #expect(VMMTestSupport.eventually { written.isSet })
    }
}
