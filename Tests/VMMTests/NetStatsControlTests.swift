import Foundation
import Testing
import VMMControl

/// `stats` NIC counters over vmctl-vmm's real control socket: the virtio_net payload drives the first of two NICs,
/// the test plays both switches and reads the counters as frames go each way.
@Suite("vmctl-vmm stats: NIC counters on /dev/kvm", .enabled(if: VMMTestSupport.canRun, VMMTestSupport.skipComment))
struct NetStatsControlTests {
    @Test("framesOut/bytesOut after the guest's frame; framesIn/bytesIn and rx drops after host frames; per NIC, in spec order")
    func countersOverTheSocket() throws {
        let first = try TestSwitchSocket(), second = try TestSwitchSocket()
        let vm = try VMMRun(payload: "virtio_net", nets: [.init(mac: "52:54:00:12:34:56", switchSocket: first.path),
                                                          .init(mac: "52:54:00:12:34:57", switchSocket: second.path)])
        #expect(first.accept() && second.accept(), "vmctl-vmm did not connect to both switch sockets")
        // The payload's frame: 60 bytes (a 12-byte virtio-net header before it in the guest, not counted).
        let sent = first.read(64, timeout: .seconds(30))
        #expect(sent.count == 64 && sent.prefix(4) == [0, 0, 0, 60], "\(sent)")
        let client = try vm.client()

        var stats = try client.stats()
        #expect(stats.nets == [.init(index: 0, backend: .switch, framesOut: 1, bytesOut: 60),
                               .init(index: 1, backend: .switch)])

        // Paused, the guest cannot take the reply and power off before the counters are read; the NIC readers
        // still deliver into its posted buffer.
        try client.pause()
        let reply = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x02, 0, 0, 0, 0, 1, 0x88, 0xB5]
            + Array("hello from the switch!\n\n".utf8) + [UInt8](repeating: 0, count: 22)
        first.write(TestSwitchSocket.frame(Array(reply.prefix(10))))                           // rx-undersize
        first.write(TestSwitchSocket.frame(NetTestFrames.frame(length: 1600, seed: 4)))         // rx-oversize
        first.write(TestSwitchSocket.frame(reply))
        second.write(TestSwitchSocket.frame(NetTestFrames.frame(length: 60, seed: 5)))          // rx-not-ready: no driver
        #expect(try VMMTestSupport.eventually {
            stats = try client.stats()
            return stats.nets.first?.framesIn == 1 && stats.nets.last?.drops["rx-not-ready"] == 1
        }, "\(stats.nets)")
        #expect(stats.nets == [.init(index: 0, backend: .switch, framesIn: 1, bytesIn: reply.count, framesOut: 1, bytesOut: 60,
                                     drops: ["rx-undersize": 1, "rx-oversize": 1]),
                               .init(index: 1, backend: .switch, drops: ["rx-not-ready": 1])])

        try client.resume()
        let (status, stderr) = vm.wait(timeout: .seconds(30))
        #expect(status == VMMExitCode.guestPowerOff.rawValue, "\(stderr)")
        #expect(vm.console == "mac=5254001200003456\ntx used\nrx len=00000048 payload=hello from the switch!\n\n\n")
    }
}
