import Foundation
import KVM
import Testing
import VMMDevices

@Suite("vCPU setup, interrupts and kicks on /dev/kvm", .enabled(if: KVMTestSupport.canRunPayloads, KVMTestSupport.skipComment))
struct VCPUSetupTests {
    @Test("the host has every capability the VMM needs, and supported CPUID includes leaf 0 and 1")
    func capabilities() throws {
        let system = try KVMSystem()
        try system.require()
        let cpuid = try system.supportedCPUID()
        #expect(cpuid.contains { $0.function == 0 })
        #expect(cpuid.contains { $0.function == 1 })
        #expect(system.extensionValue(.maxVCPUs) >= 1)
    }

    @Test("the full boot sequence of vmm-facts.md §1: irqchip, PIT2, CPUID, MSRs, FPU, sregs, LAPIC LINT0/1, irqfd, IRQ line")
    func bootSequence() throws {
        let machine = try KVMTestSupport.machine(irqchip: true)
        let vcpu = machine.vcpu
        var cpuid = try machine.system.supportedCPUID()
        if let leaf1 = cpuid.firstIndex(where: { $0.function == 1 }) {
            cpuid[leaf1].ecx |= 1 << 31   // hypervisor bit
        }
        try vcpu.setCPUID(cpuid)

        let bootMSRs: [MSREntry] = [0x174, 0x175, 0x176, 0xC000_0081, 0xC000_0082, 0xC000_0083, 0xC000_0084,
                                    0xC000_0102, 0x10].map { MSREntry(index: $0, value: 0) }
            + [MSREntry(index: 0x1A0, value: 1), MSREntry(index: 0x2FF, value: 0x806)]
        try vcpu.setMSRs(bootMSRs)
        let readBack = try vcpu.msrs([0x2FF, 0xC000_0082])
        #expect(readBack == [MSREntry(index: 0x2FF, value: 0x806), MSREntry(index: 0xC000_0082, value: 0)])

        var lapic = try vcpu.lapic()
        lapic.setDeliveryMode(.extINT, at: LAPICState.lint0)
        lapic.setDeliveryMode(.nmi, at: LAPICState.lint1)
        try vcpu.setLAPIC(lapic)
        let lapicBack = try vcpu.lapic()
        #expect((lapicBack[register: LAPICState.lint0] >> 8) & 7 == 7)
        #expect((lapicBack[register: LAPICState.lint1] >> 8) & 7 == 4)

        let interrupt = try EventFD()
        try machine.vm.registerIRQFD(interrupt, gsi: 4)
        try interrupt.signal()
        try machine.vm.pulseIRQ(1)
        try machine.vm.unregisterIRQFD(interrupt, gsi: 4)

        // With the in-kernel LAPIC, HLT never exits: run only until the payload's output is complete.
        try KVMTestSupport.enterLongMode(machine, payload: try KVMTestSupport.payload("long_mode_serial"))
        var serial: [UInt8] = []
        while serial.last != 0x0A {
            guard case let .ioOut(0x3F8, _, _, data) = try vcpu.run() else { Issue.record("unexpected exit"); return }
            serial += data
        }
        #expect(String(decoding: serial, as: UTF8.self) == "64-bit OK\n")
        #expect(throws: KVMError.self) { try vcpu.setCPUID(cpuid) }   // forbidden after KVM_RUN (Linux ≥ 5.16)
        // KVM_KVMCLOCK_CTRL fails (EINVAL) while the guest has not enabled kvmclock; the error names the ioctl.
        do {
            try vcpu.notifyPaused()
        } catch {
            #expect(error.description.hasPrefix("KVM_KVMCLOCK_CTRL failed"))
        }
    }

    @Test("immediate_exit set before run() returns .interrupted at once and is cleared")
    func immediateExit() throws {
        let machine = try KVMTestSupport.machine()
        try KVMTestSupport.enterRealMode(machine, payload: try KVMTestSupport.payload("real_mode_serial"))
        machine.vcpu.immediateExit = true
        #expect(try machine.vcpu.run() == .interrupted)
        #expect(!machine.vcpu.immediateExit)
        #expect(try machine.vcpu.run() == .ioOut(port: 0x3F8, size: 1, count: 1, data: [UInt8(ascii: "O")]))
    }

    @Test("a kick from another thread ends a spinning guest's run() with .interrupted")
    func kick() async throws {
        try VCPUKicker.installSignalHandler()
        let machine = try KVMTestSupport.machine()
        try KVMTestSupport.enterRealMode(machine, payload: try KVMTestSupport.payload("spin"))
        let vcpu = machine.vcpu
        let kickers = KickerBox()
        let thread = Thread {
            kickers.set(vcpu.makeKicker())
            kickers.finish(Result { try vcpu.run() })
        }
        thread.start()
        let kicker = try await kickers.kicker()
        try await Task.sleep(for: .milliseconds(50))   // let the guest spin inside KVM_RUN
        let started = ContinuousClock.now
        try kicker.kick()
        let exit = try await kickers.exit()
        print("KVM timing: kick → run() returned in \(ContinuousClock.now - started)")
        #expect(exit == .interrupted)
    }
}

/// Hands the kicker and the run result from the vCPU thread to the test.
private final class KickerBox: @unchecked Sendable {
    private let lock = NSLock()
    private var madeKicker: VCPUKicker?
    private var result: Result<VMExit, any Error>?

    func set(_ kicker: VCPUKicker) { lock.withLock { madeKicker = kicker } }
    func finish(_ result: Result<VMExit, any Error>) { lock.withLock { self.result = result } }

    func kicker() async throws -> VCPUKicker {
        for _ in 0..<2000 {
            if let kicker = lock.withLock({ madeKicker }) { return kicker }
            try await Task.sleep(for: .milliseconds(1))
        }
        throw KVMTestSupport.PayloadError(description: "the vCPU thread did not start")
    }

    func exit() async throws -> VMExit {
        for _ in 0..<5000 {
            if let result = lock.withLock({ result }) { return try result.get() }
            try await Task.sleep(for: .milliseconds(1))
        }
        throw KVMTestSupport.PayloadError(description: "run() did not return within 5 s of the kick")
    }
}
