import KVM

/// Instructions KVM fails to emulate where it emulates guest kernel code (nested KVM through kvm_pvm, which runs the
/// guest kernel in its instruction emulator) and whose architectural effect the VMM can complete exactly. Anything
/// else stays a guest crash, with the instruction's bytes in the message (docs/vmm.md, "Emulation fallbacks").
enum EmulationFallback {
    enum Instruction: String, CaseIterable, Sendable {
        /// `int3` (0xCC): the CPU raises #BP as a trap, with the pushed RIP after the instruction. Linux's int3
        /// self-test and live code patching execute it.
        case int3
        /// `fwait`/`wait` (0x9B): checks for pending unmasked x87 exceptions and otherwise does nothing. Linux runs it
        /// in `fpu__drop` at every exec and exit.
        case fwait
    }

    /// Completes the instruction KVM reported, or returns nil when it is not one of these (or not completable: an
    /// `fwait` with an x87 exception pending must raise #MF, which is not modelled).
    static func complete(_ failure: EmulationFailure, vcpu: VCPU) throws(KVMError) -> Instruction? {
        guard let first = failure.instruction.first else { return nil }
        switch first {
        case 0xCC:
            var registers = try vcpu.registers()
            registers.rip &+= 1
            try vcpu.setRegisters(registers)
            try vcpu.injectException(vector: 3)   // #BP
            return .int3
        case 0x9B:
            guard try vcpu.fpuStatusWord() & 0x80 == 0 else { return nil }   // ES: an unmasked exception is pending
            var registers = try vcpu.registers()
            registers.rip &+= 1
            try vcpu.setRegisters(registers)
            return .fwait
        default:
            return nil
        }
    }
}
