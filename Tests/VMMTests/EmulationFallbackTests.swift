import Foundation
import KVM
import Testing
import VMMControl

/// Instructions KVM fails to emulate where it emulates guest kernel code (kvm_pvm here), completed by the VMM
/// (docs/vmm.md, "Emulation fallbacks"); on hardware KVM the CPU runs them and the same payloads pass without the
/// fallback. Real vmctl-vmm, real /dev/kvm, tiny payloads.
@Suite("Emulation fallbacks: int3, fwait, and what stays a crash", .enabled(if: VMMTestSupport.canRun, "needs /dev/kvm and as/ld"))
struct EmulationFallbackTests {
    /// Whether KVM here runs guest kernel code in its emulator (so the payloads' instructions reach the fallbacks).
    static let emulated = FileManager.default.fileExists(atPath: "/sys/module/kvm_pvm")

    @Test("int3 raises #BP with the pushed RIP after the 0xCC, three times; noted once in vmm.log, counted in stats")
    func int3() throws {
        let vm = try VMMRun(payload: "int3")
        #expect(VMMTestSupport.eventually(within: .seconds(20)) { vm.console.contains("\n") }, "console: \(vm.console)")
        #expect(vm.console == "int3: 3 traps, each with the next RIP\n")
        let client = try ControlClient(path: vm.spec.controlSocket)
        let stats = try client.stats()
        #expect(stats.emulated == (Self.emulated ? ["int3": 3] : [:]), "\(stats.emulated)")
        try client.powerOff()
        let (status, stderr) = vm.wait()
        #expect(status == VMMExitCode.poweredOff.rawValue, "\(stderr)")
        let notes = stderr.components(separatedBy: "KVM could not emulate int3; completed by the VMM").count - 1
        #expect(notes == (Self.emulated ? 1 : 0), "\(stderr)")
    }

    @Test("fwait with no x87 exception pending is a no-op: the payload goes on")
    func fwait() throws {
        let vm = try VMMRun(payload: "fwait")
        let (status, stderr) = vm.wait()
        #expect(status == VMMExitCode.guestPowerOff.rawValue, "\(stderr)")
        #expect(vm.console == "fwait: went on\n")
        #expect(stderr.contains("KVM could not emulate fwait") == Self.emulated, "\(stderr)")
    }

    @Test("an instruction KVM cannot emulate and the VMM does not complete (lock cmpxchg16b) is a guest crash naming its bytes",
          .enabled(if: emulated, "on hardware KVM the CPU runs cmpxchg16b: nothing to refuse"))
    func unsupportedStaysACrash() throws {
        let vm = try VMMRun(payload: "cmpxchg16b")
        let (status, stderr) = vm.wait()
        #expect(status == VMMExitCode.guestCrash.rawValue, "\(stderr)")
        #expect(vm.console == "")
        #expect(stderr.contains("KVM internal error, suberror 1 (emulation failure, instruction bytes f0 48 0f c7 0f"), "\(stderr)")
    }

    @Test("the instruction bytes of an emulation failure, as KVM lays them out (flags, insn_size, bytes)")
    func decodesInstructionBytes() {
        // From a real exit on kvm_pvm: int3 at RIP 0x100038.
        let failure = EmulationFailure(suberror: 1, data: [0x1, 0x80358d48cc0f, 0xd4e9000010abe800, 0x1000])
        #expect(failure?.instruction.first == 0xCC && failure?.instruction.count == 15)
        #expect(failure?.hex.hasPrefix("cc 48 8d 35 80 00") == true)
        #expect(EmulationFailure(suberror: 1, data: [0x0, 0x1, 0x2])?.instruction == [])   // no bytes flag
        #expect(EmulationFailure(suberror: 1, data: [])?.instruction == [])
        #expect(EmulationFailure(suberror: 2, data: [0x1, 0x1cc, 0]) == nil)   // not an emulation failure
        #expect(EmulationFailure(suberror: 1, data: [0x1, 0x0100, 0])?.instruction == [])   // insn_size 0
    }
}
