import Foundation
import Testing
import VMMControl

/// Tiny payloads booted by the real `vmctl-vmm` binary from a launch spec: ELF at 0x100000, entered in
/// 64-bit mode like a vmlinux.
@Suite("vmctl-vmm boots payloads on /dev/kvm", .enabled(if: VMMTestSupport.canRun, VMMTestSupport.skipComment))
struct PayloadBootTests {
    @Test("serial output reaches the console log; ACPI power-off (S5 on port 0x600) ends the process with 0")
    func serialAndPowerOff() throws {
        let vm = try VMMRun(payload: "hello")
        let (status, stderr) = vm.wait()
        #expect(status == VMMExitCode.guestPowerOff.rawValue, "\(stderr)")
        #expect(vm.console == "hello from the payload\n")
        #expect(stderr == "vmctl-vmm: VM test ended: the guest powered off\n")
        #expect(!FileManager.default.fileExists(atPath: vm.spec.controlSocket))
    }

    @Test("the console log is appended to, never truncated")
    func consoleAppends() throws {
        let folder = try TempFolder()
        try "earlier boot\n".write(toFile: folder.file("console.log"), atomically: true, encoding: .utf8)
        let vm = try VMMRun(payload: "hello", folder: folder)
        #expect(vm.wait().status == 0)
        #expect(vm.console == "earlier boot\nhello from the payload\n")
    }

    @Test("a triple fault is a guest crash: exit 2 and one clear line on stderr")
    func tripleFault() throws {
        let vm = try VMMRun(payload: "triple_fault")
        let (status, stderr) = vm.wait()
        #expect(status == VMMExitCode.guestCrash.rawValue)
        #expect(vm.console == "about to triple-fault\n")
        #expect(stderr.hasPrefix("vmctl-vmm: VM test ended: the guest crashed (triple fault or KVM internal error): vCPU 0: triple fault (KVM_EXIT_SHUTDOWN) at RIP 0x10"), "\(stderr)")
    }

    @Test("i8042 reset and the ACPI reset register reboot in place; RAM survives; the third boot powers off")
    func rebootInPlace() throws {
        let vm = try VMMRun(payload: "reboot", vcpus: 2)
        let (status, stderr) = vm.wait()
        #expect(status == 0, "\(stderr)")
        #expect(vm.console == "boot 1\nboot 2\nboot 3\n")
    }

    @Test("a kernel that is neither ELF nor bzImage: exit 1 naming the step, no control socket left")
    func badKernel() throws {
        let folder = try TempFolder()
        defer { folder.cleanup() }
        let kernel = folder.file("vmlinuz")
        try "not really a kernel".write(toFile: kernel, atomically: true, encoding: .utf8)
        let spec = LaunchSpec(name: "bad", vcpus: 1, memoryMiB: 64, kernel: kernel, cmdline: "",
                              consoleLog: folder.file("console.log"), controlSocket: folder.file("control.sock"))
        let process = Process()
        process.executableURL = VMMTestSupport.binary
        process.arguments = ["-"]
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(try JSONEncoder().encode(spec))
        try input.fileHandleForWriting.close()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == VMMExitCode.vmmError.rawValue)
        #expect(stderr.hasPrefix("vmctl-vmm: boot VM bad: load the kernel: "), "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: spec.controlSocket))
    }
}
