import Testing
import VMMControl

@Suite("vmctl-vmm exit codes")
struct ExitCodeTests {
    @Test("codes are fixed: they are an interface to the runtime")
    func values() {
        #expect(VMMExitCode.allCases.map(\.rawValue) == [0, 1, 2, 3])
        #expect(VMMExitCode.guestPowerOff.rawValue == 0)
        #expect(VMMExitCode.vmmError.rawValue == 1)
        #expect(VMMExitCode.guestCrash.rawValue == 2)
        #expect(VMMExitCode.poweredOff.rawValue == 3)
    }

    @Test("any recorded status has an explanation")
    func explain() {
        #expect(VMMExitCode.explain(status: 2) == "the guest crashed (triple fault or KVM internal error)")
        #expect(VMMExitCode.explain(status: 137) == "killed by signal 9")
        #expect(VMMExitCode.explain(status: 42) == "exited with unexpected status 42")
    }
}
