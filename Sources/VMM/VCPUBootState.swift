import KVM
import VMMDevices

/// A vCPU's state at the Linux 64-bit entry (vmm-facts §1 step 11, §3 step 4), applied in Firecracker's
/// order: CPUID, MSRs, registers, FPU, special registers, LAPIC LINT0/LINT1.
enum VCPUBootState {
    /// Boot MSRs: SYSENTER/SYSCALL state zeroed, TSC 0, fast strings on, MTRRs on with write-back default.
    static let msrs: [MSREntry] = [
        MSREntry(index: 0x174, value: 0),  // IA32_SYSENTER_CS
        MSREntry(index: 0x175, value: 0),  // IA32_SYSENTER_ESP
        MSREntry(index: 0x176, value: 0),  // IA32_SYSENTER_EIP
        MSREntry(index: 0xC000_0081, value: 0),  // STAR
        MSREntry(index: 0xC000_0082, value: 0),  // LSTAR
        MSREntry(index: 0xC000_0083, value: 0),  // CSTAR
        MSREntry(index: 0xC000_0084, value: 0),  // SYSCALL_MASK
        MSREntry(index: 0xC000_0102, value: 0),  // KERNEL_GS_BASE
        MSREntry(index: 0x10, value: 0),  // IA32_TSC
        MSREntry(index: 0x1A0, value: 1),  // IA32_MISC_ENABLE: FAST_STRING
        MSREntry(index: 0x2FF, value: 0x806),  // MTRRdefType: enabled, default WB
    ]

    static func apply(to vcpu: VCPU, index: Int, count: Int, cpuid: [CPUIDEntry], boot: LinuxBoot) throws(VMMError) {
        let step = "set up vCPU \(index)"
        do {
            try vcpu.setCPUID(CPUIDNormalization.normalize(cpuid, index: index, count: count))
            try vcpu.setMSRs(msrs)
            var registers = Registers()
            registers.rflags = 0x2
            registers.rip = boot.entry.value
            registers.rsp = LongModeSetup.stackPointer
            registers.rbp = LongModeSetup.stackPointer
            registers.rsi = boot.zeroPage.value
            try vcpu.setRegisters(registers)
            try vcpu.setFPU(FPUState())
            var special = try vcpu.specialRegisters()
            try special.configureLongMode(
                gdt: DescriptorTable(base: LongModeSetup.gdtAddress.value, limit: LongModeSetup.gdtLimit),
                gdtEntries: LongModeSetup.gdt, codeSelector: LongModeSetup.codeSelector,
                dataSelector: LongModeSetup.dataSelector, tssSelector: LongModeSetup.tssSelector,
                idt: DescriptorTable(base: LongModeSetup.idtAddress.value, limit: LongModeSetup.idtLimit),
                pageTableRoot: LongModeSetup.cr3, cr0Set: LongModeSetup.cr0Set, cr4Set: LongModeSetup.cr4Set,
                eferSet: LongModeSetup.eferSet)
            try vcpu.setSpecialRegisters(special)
            var lapic = try vcpu.lapic()
            lapic.setDeliveryMode(.extINT, at: LAPICState.lint0)
            lapic.setDeliveryMode(.nmi, at: LAPICState.lint1)
            try vcpu.setLAPIC(lapic)
        } catch {
            throw error.during(step)
        }
    }
}
