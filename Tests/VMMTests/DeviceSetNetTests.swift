import Foundation
import Glibc
import KVM
import Testing
import VMMControl
import VMMDevices
@testable import VMM

/// A minimal virtio-mmio driver over the machine's real MMIO bus and guest RAM: probe, one receive buffer,
/// one transmit chain. Enough to see a NIC's frames cross DeviceSet's wiring (reader thread, lock, backend).
struct MiniNetDriver {
    let bus: Bus
    let base: UInt64
    let ram: GuestRAM
    static let queueBase: UInt64 = 0x10_0000  // per queue q: desc +q·0x4000, avail +0x1000, used +0x2000
    static let data: UInt64 = 0x20_0000

    func read32(_ offset: UInt64) -> UInt32 {
        var data = [UInt8](repeating: 0, count: 4)
        bus.read(base + offset, data: &data)
        return data.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    func write32(_ offset: UInt64, _ value: UInt32) {
        bus.write(base + offset, data: (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) })
    }

    func configBytes(_ count: Int) -> [UInt8] {
        (0..<count).map { index in
            var byte = [UInt8(0)]
            bus.read(base + 0x100 + UInt64(index), data: &byte)
            return byte[0]
        }
    }

    /// Linux's probe with VERSION_1 only (no EVENT_IDX, so every used entry interrupts), queues of 8.
    func probe() {
        for status: UInt32 in [0, 1, 3] { write32(0x70, status) }
        write32(0x24, 1)
        write32(0x20, 1)
        write32(0x24, 0)
        write32(0x20, 0)
        write32(0x70, 0xB)
        for queue in 0..<2 {
            let desc = Self.queueBase + UInt64(queue) * 0x4000
            write32(0x30, UInt32(queue))
            write32(0x38, 8)
            write32(0x80, UInt32(desc))
            write32(0x90, UInt32(desc + 0x1000))
            write32(0xA0, UInt32(desc + 0x2000))
            write32(0x44, 1)
        }
        write32(0x70, 0xF)
    }

    /// Publishes one single-descriptor chain at avail slot `slot` and kicks.
    func post(queue: Int, slot: UInt16, address: UInt64, length: UInt32, writable: Bool) throws {
        let desc = Self.queueBase + UInt64(queue) * 0x4000
        try ram.writeInteger(GuestAddress(desc + 16 * UInt64(slot)), address)
        try ram.writeInteger(GuestAddress(desc + 16 * UInt64(slot) + 8), length)
        try ram.writeInteger(GuestAddress(desc + 16 * UInt64(slot) + 12), UInt16(writable ? 2 : 0))
        try ram.writeInteger(GuestAddress(desc + 0x1000 + 4 + 2 * UInt64(slot)), slot)
        try ram.writeInteger(GuestAddress(desc + 0x1000 + 2), slot + 1)
        write32(0x50, UInt32(queue))
    }

    func usedIndex(queue: Int) -> UInt16 {
        (try? ram.readInteger(GuestAddress(Self.queueBase + UInt64(queue) * 0x4000 + 0x2000 + 2))) ?? 0
    }

    func usedLength(queue: Int, slot: UInt16) -> UInt32 {
        (try? ram.readInteger(GuestAddress(Self.queueBase + UInt64(queue) * 0x4000 + 0x2000 + 4 + 8 * UInt64(slot) + 4))) ?? .max
    }
}

@Suite("DeviceSet with NICs (no /dev/kvm needed)", .serialized)
struct DeviceSetNetTests {
    func spec(_ folder: TempFolder, disks: [LaunchSpec.Disk] = [], nets: [LaunchSpec.Net]) -> LaunchSpec {
        LaunchSpec(name: "nets", vcpus: 1, memoryMiB: 8, kernel: "/nonexistent", cmdline: "console=ttyS0", disks: disks,
                   nets: nets, consoleLog: folder.file("console.log"), controlSocket: folder.file("control.sock"))
    }

    @Test("windows in order: disks, NICs (eth0 = nets[0]), console; one GSI each; the DSDT lists them all")
    func layout() throws {
        let folder = try TempFolder()
        defer { folder.cleanup() }
        let disk = folder.file("disk.img")
        FileManager.default.createFile(atPath: disk, contents: Data(count: 4096))
        let first = try TestSwitchSocket()
        let second = try TestSwitchSocket()
        let nets = [LaunchSpec.Net(mac: "52:54:00:00:00:01", switchSocket: first.path),
                    LaunchSpec.Net(mac: "52:54:00:00:00:02", switchSocket: second.path)]
        let ram = try GuestRAM(size: 8 << 20)
        let devices = try DeviceSet(spec: spec(folder, disks: [.init(path: disk, readOnly: true)], nets: nets),
                                    memory: ram, events: Supervisor())
        #expect(devices.virtio.map(\.name) == ["virtio-blk \(disk)", "virtio-net nets[0] (switch \(first.path))",
                                               "virtio-net nets[1] (switch \(second.path))", "virtio-console"])
        #expect(devices.virtio.map(\.base) == [0xC000_1000, 0xC000_2000, 0xC000_3000, 0xC000_4000])
        #expect(devices.virtio.map(\.line.gsi) == [5, 6, 7, 8])
        #expect(devices.powerButton.gsi == 9)
        #expect(devices.dsdt.virtio == devices.virtio.map { DSDT.VirtioMMIO(base: $0.base, gsi: $0.line.gsi) })
        for (index, base) in [0xC000_2000, 0xC000_3000].enumerated() {
            let driver = MiniNetDriver(bus: devices.mmio, base: UInt64(base), ram: ram)
            #expect(driver.read32(0x008) == 1)
            #expect(driver.configBytes(8) == [0x52, 0x54, 0, 0, 0, UInt8(index + 1), 1, 0])
        }
    }

    @Test("a NIC whose switch is not there fails the build naming it")
    func missingSwitch() throws {
        let folder = try TempFolder()
        defer { folder.cleanup() }
        let ram = try GuestRAM(size: 8 << 20)
        let nets = [LaunchSpec.Net(mac: "52:54:00:00:00:01", switchSocket: folder.file("gone.sock"))]
        #expect {
            _ = try DeviceSet(spec: spec(folder, nets: nets), memory: ram, events: Supervisor())
        } throws: { error in
            "\(error)".hasPrefix("attach devices: nets[0]: connect to switch \(folder.file("gone.sock")): No such file or directory")
        }
    }

    @Test("frames cross the wiring both ways: switch → reader thread → guest buffer, guest → switch; stats count them")
    func framesFlow() throws {
        let folder = try TempFolder()
        defer { folder.cleanup() }
        let peer = try TestSwitchSocket()
        let ram = try GuestRAM(size: 8 << 20)
        let devices = try DeviceSet(spec: spec(folder, nets: [.init(mac: "52:54:00:00:00:01", switchSocket: peer.path)]),
                                    memory: ram, events: Supervisor())
        peer.accept()
        try devices.startNetworkReaders()
        defer { devices.stopNetworkReaders() }
        let nic = devices.virtio[0]
        let driver = MiniNetDriver(bus: devices.mmio, base: nic.base, ram: ram)

        // Before the driver is there, frames are read and dropped as not ready.
        peer.write(TestSwitchSocket.frame(NetTestFrames.frame(seed: 1)))
        #expect(VMMTestSupport.eventually { devices.networkStats.first?.stats.dropped(.rxNotReady) == 1 })

        driver.probe()
        #expect(driver.read32(0x70) == 0xF)
        let buffer = MiniNetDriver.data
        try driver.post(queue: 0, slot: 0, address: buffer, length: 1530, writable: true)
        let inbound = NetTestFrames.frame(length: 200, seed: 2)
        peer.write(TestSwitchSocket.frame(inbound))
        #expect(VMMTestSupport.eventually { driver.usedIndex(queue: 0) == 1 })
        #expect(driver.usedLength(queue: 0, slot: 0) == 212)
        #expect(try ram.readBytes(GuestAddress(buffer), count: 212) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0] + inbound)
        #expect((try? nic.line.eventFD.consume()) ?? 0 >= 1)

        let outbound = NetTestFrames.frame(length: 90, seed: 3)
        let chain = buffer + 0x1000
        try ram.writeBytes(GuestAddress(chain), [UInt8](repeating: 0, count: 12) + outbound)
        try driver.post(queue: 1, slot: 0, address: chain, length: 102, writable: false)
        #expect(peer.read(94) == TestSwitchSocket.frame(outbound))
        #expect(driver.usedIndex(queue: 1) == 1)
        let stats = devices.networkStats.first?.stats
        #expect(stats?.framesIn == 1 && stats?.bytesIn == 200 && stats?.framesOut == 1 && stats?.bytesOut == 90)
    }
}
