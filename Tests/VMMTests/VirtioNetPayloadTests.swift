import Foundation
import Testing
import VMMControl

/// vmctl-vmm with one NIC on a test switch socket, running the in-payload virtio-net driver (Payloads/virtio_net.S).
@Suite("vmctl-vmm virtio-net on /dev/kvm", .enabled(if: VMMTestSupport.canRun, VMMTestSupport.skipComment))
struct VirtioNetPayloadTests {
    @Test("the guest's frame reaches the switch byte for byte; the switch's reply lands in the guest's buffer")
    func frameRoundTrip() throws {
        let peer = try TestSwitchSocket()
        let folder = peer.folder
        let spec = LaunchSpec(name: "net", vcpus: 1, memoryMiB: 64, kernel: try VMMTestSupport.payload("virtio_net"),
                              cmdline: "console=ttyS0", nets: [.init(mac: "52:54:00:12:34:56", switchSocket: peer.path)],
                              consoleLog: folder.file("console.log"), controlSocket: folder.file("control.sock"))
        let specPath = folder.file("launch.json")
        try JSONEncoder().encode(spec).write(to: URL(fileURLWithPath: specPath))
        let process = Process()
        process.executableURL = VMMTestSupport.binary
        process.arguments = [specPath]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        #expect(peer.accept(), "vmctl-vmm never connected to the switch socket")
        let payload = Array("virtio-net tx from the payload, 46 bytes....!\n".utf8)
        let expected = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x88, 0xB5] + payload
        #expect(peer.read(64, timeout: .seconds(30)) == [0, 0, 0, 60] + expected)
        let reply = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x02, 0, 0, 0, 0, 1, 0x88, 0xB5]
            + Array("hello from the switch!\n\n".utf8) + [UInt8](repeating: 0, count: 22)
        peer.write(TestSwitchSocket.frame(reply))

        #expect(VMMTestSupport.eventually(within: .seconds(30)) { !process.isRunning })
        process.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(stderr)")
        let console = (try? String(contentsOfFile: spec.consoleLog, encoding: .utf8)) ?? ""
        #expect(console == "mac=5254001200003456\ntx used\nrx len=00000048 payload=hello from the switch!\n\n\n")
    }
}
