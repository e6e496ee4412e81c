import Foundation
import Testing
import VMMControl

/// The control protocol against a running payload.
@Suite("vmctl-vmm control socket on /dev/kvm", .enabled(if: VMMTestSupport.canRun, VMMTestSupport.skipComment))
struct ControlTests {
    @Test("pause stops the guest's output and describe says paused; resume continues; stats count exits; power-off exits 3")
    func pauseResume() throws {
        let vm = try VMMRun(payload: "ticker", vcpus: 2)
        let client = try vm.client()
        #expect(VMMTestSupport.eventually { vm.console.count > 20 }, "no ticks: \(vm.console)")
        var description = try client.describe()
        #expect(description.state == .running)
        #expect(description.vcpus == 2 && description.memoryMiB == 64 && description.name == "test")
        #expect(description.pid == vm.process.processIdentifier)

        let pauseStarted = ContinuousClock.now
        try client.pause()
        let pauseTook = ContinuousClock.now - pauseStarted
        description = try client.describe()
        #expect(description.state == .paused)
        let frozen = vm.console.count
        Thread.sleep(forTimeInterval: 0.3)
        #expect(vm.console.count == frozen, "output went on while paused")
        try client.pause()   // pausing a paused VM changes nothing
        try client.resume()
        #expect(try client.describe().state == .running)
        #expect(VMMTestSupport.eventually { vm.console.count > frozen + 5 }, "output did not resume")
        print("pause round trip (debug build): \(pauseTook)")

        let stats = try client.stats()
        #expect(stats.vcpus.map(\.index) == [0, 1])
        #expect((stats.exitsByReason["io-out"] ?? 0) > 20)
        #expect((stats.exitsByReason["interrupted"] ?? 0) >= 1)   // the kicks of pause
        #expect(stats.unknownPortIO >= 2)   // port 0x80 and COM2
        #expect(stats.residentBytes > 0)
        #expect(stats.nets == [])   // no NICs in the spec
        #expect(try client.describe().exits == stats.vcpus.reduce(0) { $0 + $1.exits })

        try client.powerOff()
        let (status, stderr) = vm.wait()
        #expect(status == VMMExitCode.poweredOff.rawValue, "\(stderr)")
        #expect(stderr == "vmctl-vmm: VM test ended: powered off through the control socket\n")
    }

    @Test("console-input types into COM1; refused unless the spec enables serial input")
    func consoleInput() throws {
        let vm = try VMMRun(payload: "echo", serialInput: true)
        let client = try vm.client()
        #expect(VMMTestSupport.eventually { vm.console == "ready\n" })
        #expect(try client.consoleInput(Array("hi there q".utf8)) == 10)
        let (status, stderr) = vm.wait()
        #expect(status == 0, "\(stderr)")
        #expect(vm.console == "ready\nhi there q")

        let closed = try VMMRun(payload: "ticker")
        let other = try closed.client()
        #expect {
            try other.consoleInput([0x61])
        } throws: { error in
            guard case .remote(let remote) = error as? VMMControlError else { return false }
            return remote.code == .consoleInputDisabled
        }
        try other.powerOff()
        #expect(closed.wait().status == VMMExitCode.poweredOff.rawValue)
    }

    @Test("reset through the control socket reboots the payload in place; the process and socket stay")
    func controlReset() throws {
        let vm = try VMMRun(payload: "ticker")
        let client = try vm.client()
        #expect(VMMTestSupport.eventually { vm.console.hasPrefix("tick\n") && vm.console.count > 10 })
        try client.reset()
        #expect(VMMTestSupport.eventually { vm.console.components(separatedBy: "tick\n").count == 3 }, "\(vm.console)")
        #expect(try client.describe().state == .running)
        try client.powerOff()
        #expect(vm.wait().status == VMMExitCode.poweredOff.rawValue)
    }

    @Test("shutdown ctrl-alt-del: the guest sees the keys and reboots; after a shutdown request that ends the VMM with 0")
    func ctrlAltDel() throws {
        let vm = try VMMRun(payload: "keyboard")
        let client = try vm.client()
        #expect(VMMTestSupport.eventually { vm.console == "waiting for ctrl-alt-del\n" })
        try client.shutdown(.ctrlAltDel)
        let (status, stderr) = vm.wait()
        #expect(status == VMMExitCode.guestPowerOff.rawValue, "\(stderr)")
        #expect(vm.console == "waiting for ctrl-alt-del\nctrl-alt-del: rebooting\n")
        #expect(stderr.contains("after a shutdown request; treated as its power-off"))
    }

    @Test("shutdown acpi raises the Generic Event Device's GSI (the power button); the guest's power-off then exits 0")
    func acpiPowerButton() throws {
        let vm = try VMMRun(payload: "power_button")
        let client = try vm.client()
        #expect(VMMTestSupport.eventually { vm.console == "armed\n" })
        try client.shutdown(.acpi)
        let (status, stderr) = vm.wait()
        #expect(status == VMMExitCode.guestPowerOff.rawValue, "\(stderr)")
        #expect(vm.console == "armed\npower button\n")
    }

    @Test("after the machine stopped, requests that act are refused with invalid-state")
    func stoppingRefuses() throws {
        let vm = try VMMRun(payload: "ticker")
        let client = try vm.client()
        try client.powerOff()
        // The socket may already be gone; if it still answers, it must refuse.
        if let late = try? ControlClient(path: vm.spec.controlSocket, timeout: .seconds(1)) {
            do {
                try late.pause()
            } catch {
                if case .remote(let remote) = error { #expect(remote.code == .invalidState) }
            }
        }
        #expect(vm.wait().status == VMMExitCode.poweredOff.rawValue)
    }
}
