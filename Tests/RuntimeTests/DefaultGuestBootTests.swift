import Foundation
import Testing
@testable import Runtime

/// Boots the real default guest under QEMU/TCG and stops it through QMP, as the QEMU backend will.
@Suite("Default guest: a real boot under QEMU")
struct DefaultGuestBootTests {
    static let qemu = GuestTestSupport.tool("qemu-system-x86_64")
    static let mke2fs = GuestTestSupport.tool("mke2fs")
    static let hostReady = (try? GuestHost.system.findKernel()) != nil && GuestTestSupport.hasStaticBusybox

    // Skipped where the host lacks the pieces (apt-get install qemu-system-x86 linux-image-cloud-amd64
    // busybox-static e2fsprogs); CI has them. TCG always: nested /dev/kvm is too slow for Linux here.
    @Test("boots to the readiness marker with hostname, NIC and volume set up, answers on the console, and powers off on system_powerdown",
          .enabled(if: qemu != nil && mke2fs != nil && hostReady, "needs qemu-system-x86_64, mke2fs, a /boot/vmlinuz-* kernel with modules, and busybox-static"),
          .timeLimit(.minutes(3)))
    func bootAndPowerDown() throws {
        let folder = try GuestTestSupport.temporaryFolder("boot")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let guest = try GuestBuilder.build(cacheDirectory: folder + "/guest").guest

        // A small ext4 volume with one file, to see the guest mount it and read it.
        try GuestTestSupport.write("hello from the host\n", to: folder + "/seed/hello.txt")
        let volume = folder + "/data.img"
        let mkfs = try GuestTestSupport.run(try #require(Self.mke2fs), ["-q", "-F", "-t", "ext4", "-d", folder + "/seed", volume, "16M"])
        #expect(mkfs.status == 0, "mke2fs: \(mkfs.stderr)")

        let cmdline = try guest.cmdline(
            hostname: "t0",
            nics: [GuestNIC(interface: "eth0", address: try #require(.init("10.0.2.15")), prefixLength: 24, gateway: .init("10.0.2.2"))],
            mounts: [GuestMount(device: "/dev/vda", mountPoint: "/data")])
        let serial = folder + "/serial.sock", qmp = folder + "/qmp.sock", log = folder + "/console.log"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.qemu))
        process.arguments = [
            "-accel", "tcg", "-machine", "q35", "-cpu", "max", "-m", "256", "-smp", "1",
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-kernel", guest.kernel, "-initrd", guest.initrd, "-append", cmdline,
            "-chardev", "socket,id=ser0,path=\(serial),server=on,wait=off,logfile=\(log)", "-serial", "chardev:ser0",
            "-qmp", "unix:\(qmp),server=on,wait=off",
            "-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-pci,netdev=n0",
            "-drive", "file=\(volume),format=raw,if=none,id=d0", "-device", "virtio-blk-pci,drive=d0",
        ]
        let qemuOutput = folder + "/qemu.out"
        _ = FileManager.default.createFile(atPath: qemuOutput, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: qemuOutput)
        process.standardError = process.standardOutput
        let started = Date()
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }

        func consoleLog() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        // QEMU's own messages; "terminating on signal" here means something else stopped it, not the guest.
        func qemuLog() -> String { (try? String(contentsOfFile: qemuOutput, encoding: .utf8)) ?? "" }
        func waitFor(_ text: String, after offset: String.Index? = nil, seconds: Double) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline && process.isRunning {
                let text0 = consoleLog()
                if text0[(offset ?? text0.startIndex)...].contains(text) { return true }
                usleep(50_000)
            }
            return consoleLog().contains(text)
        }

        let ready = waitFor(guest.readinessMarker, seconds: 60)
        let bootSeconds = Date().timeIntervalSince(started)
        try #require(ready, "no readiness marker within 60 s; console:\n\(consoleLog())\nqemu:\n\(qemuLog())")
        print("default guest: boot to '\(guest.readinessMarker)' took \(String(format: "%.2f", bootSeconds)) s (QEMU TCG, 1 vCPU)")
        let boot = consoleLog()
        #expect(boot.contains("vmctl-guest: hostname t0"))
        #expect(boot.contains("vmctl-guest: network eth0 10.0.2.15/24 via 10.0.2.2"))
        #expect(boot.contains("vmctl-guest: mounted /dev/vda on /data (rw)"))
        #expect(!boot.contains("vmctl-guest: error"), "\(boot)")

        // The console shell: the answer must be computed by the guest, not just echoed back.
        try #require(waitFor("t0:/# ", seconds: 20), "no shell prompt; console:\n\(consoleLog())")
        let console = try TestUnixSocket(path: serial)
        try console.send("cat /data/hello.txt; ip -4 addr show eth0; echo sum-$((6*7))\n")
        #expect(waitFor("sum-42", seconds: 20), "console:\n\(consoleLog())")
        let answered = consoleLog()
        #expect(answered.contains("hello from the host"))
        #expect(answered.contains("inet 10.0.2.15/24"))
        // A connected client that does not read stalls QEMU's serial output (each byte is its own socket
        // buffer entry, so the buffer fills after a few hundred bytes), and the log with it: hang up.
        console.disconnect()

        // A graceful stop: ACPI power button through QMP, and QEMU exits by itself with status 0.
        let control = try TestUnixSocket(path: qmp)
        _ = try control.readLine()
        for command in [#"{"execute":"qmp_capabilities"}"#, #"{"execute":"system_powerdown"}"#] {
            try control.send(command + "\n")
            var reply = try control.readLine()
            while !reply.contains("\"return\"") && !reply.contains("\"error\"") { reply = try control.readLine() }
            #expect(reply.contains("\"return\""), "\(command): \(reply)")
        }
        let pressed = Date()
        while process.isRunning && Date().timeIntervalSince(pressed) < 20 { usleep(50_000) }
        try #require(!process.isRunning, "QEMU still running 20 s after system_powerdown; console:\n\(consoleLog())")
        print("default guest: power-off took \(String(format: "%.2f", Date().timeIntervalSince(pressed))) s after system_powerdown")
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        #expect(consoleLog().contains("vmctl-guest: powering off"), "the shutdown script did not run; console:\n\(consoleLog())\nqemu:\n\(qemuLog())")
    }
}
