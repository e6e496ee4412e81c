import CKVM
import Glibc

/// Register, FPU, MSR, CPUID and LAPIC state. Each call is one ioctl named in its error.
extension VCPU {
    public func registers() throws(KVMError) -> Registers {
        var raw = kvm_regs()
        // `raw` lives for the call; the kernel writes sizeof(kvm_regs) bytes into it.
        _ = try checkIoctl(ckvm_ioctl_ptr(fd, CKVM_GET_REGS, &raw), "KVM_GET_REGS")
        return Registers(raw)
    }

    public func setRegisters(_ registers: Registers) throws(KVMError) {
        var raw = registers.raw
        // `raw` lives for the call; the kernel reads sizeof(kvm_regs) bytes from it.
        _ = try checkIoctl(ckvm_ioctl_ptr(fd, CKVM_SET_REGS, &raw), "KVM_SET_REGS")
    }

    public func specialRegisters() throws(KVMError) -> SpecialRegisters {
        var raw = kvm_sregs()
        // `raw` lives for the call; the kernel writes sizeof(kvm_sregs) bytes into it.
        _ = try checkIoctl(ckvm_ioctl_ptr(fd, CKVM_GET_SREGS, &raw), "KVM_GET_SREGS")
        return SpecialRegisters(raw)
    }

    public func setSpecialRegisters(_ registers: SpecialRegisters) throws(KVMError) {
        var raw = registers.raw
        // `raw` lives for the call; the kernel reads sizeof(kvm_sregs) bytes from it.
        _ = try checkIoctl(ckvm_ioctl_ptr(fd, CKVM_SET_SREGS, &raw), "KVM_SET_SREGS")
    }

    /// KVM_SET_FPU with `state`'s control words and everything else zero.
    public func setFPU(_ state: FPUState) throws(KVMError) {
        var raw = kvm_fpu()
        raw.fcw = state.fcw
        raw.mxcsr = state.mxcsr
        // `raw` lives for the call; the kernel reads sizeof(kvm_fpu) bytes from it.
        _ = try checkIoctl(ckvm_ioctl_ptr(fd, CKVM_SET_FPU, &raw), "KVM_SET_FPU")
    }

    /// KVM_SET_MSRS; throws `.partialMSRs` unless KVM accepted every entry.
    public func setMSRs(_ entries: [MSREntry]) throws(KVMError) {
        guard !entries.isEmpty else { return }
        let buffer = try MSRBuffer(indices: entries.map(\.index), values: entries.map(\.value))
        let handled = try checkIoctl(ckvm_ioctl_ptr(fd, CKVM_SET_MSRS, buffer.pointer), "KVM_SET_MSRS")
        if Int(handled) != entries.count {
            throw KVMError.partialMSRs(handled: Int(handled), requested: entries.count,
                                       firstFailingIndex: entries[min(Int(handled), entries.count - 1)].index)
        }
    }

    /// KVM_GET_MSRS for `indices`, in the same order.
    public func msrs(_ indices: [UInt32]) throws(KVMError) -> [MSREntry] {
        guard !indices.isEmpty else { return [] }
        let buffer = try MSRBuffer(indices: indices, values: nil)
        let handled = try checkIoctl(ckvm_ioctl_ptr(fd, CKVM_GET_MSRS, buffer.pointer), "KVM_GET_MSRS")
        if Int(handled) != indices.count {
            throw KVMError.partialMSRs(handled: Int(handled), requested: indices.count,
                                       firstFailingIndex: indices[min(Int(handled), indices.count - 1)])
        }
        return buffer.entries
    }

    /// KVM_SET_CPUID2 — only before the first `run()` (Linux ≥ 5.16 refuses it afterwards).
    public func setCPUID(_ entries: [CPUIDEntry]) throws(KVMError) {
        let buffer = try CPUIDBuffer(entries: entries)
        _ = try checkIoctl(ckvm_ioctl_ptr(fd, CKVM_SET_CPUID2, buffer.pointer), "KVM_SET_CPUID2")
    }

    /// KVM_GET_LAPIC (needs `VirtualMachine.createIRQChip()`).
    public func lapic() throws(KVMError) -> LAPICState {
        var raw = kvm_lapic_state()
        // `raw` lives for the call; the kernel writes its 1024-byte register page.
        _ = try checkIoctl(ckvm_ioctl_ptr(fd, CKVM_GET_LAPIC, &raw), "KVM_GET_LAPIC")
        // `regs` is a 1024-byte char tuple inside `raw`.
        let bytes = withUnsafeBytes(of: &raw.regs) { Array($0) }
        guard let state = LAPICState(bytes: bytes) else { throw KVMError.corruptExit("kvm_lapic_state is \(bytes.count) bytes") }
        return state
    }

    public func setLAPIC(_ state: LAPICState) throws(KVMError) {
        var raw = kvm_lapic_state()
        // `regs` is a 1024-byte tuple inside `raw`; LAPICState always holds exactly 1024 bytes.
        withUnsafeMutableBytes(of: &raw.regs) { target in
            state.bytes.withUnsafeBytes { target.copyMemory(from: $0) }
        }
        // `raw` lives for the call; the kernel reads its 1024-byte register page.
        _ = try checkIoctl(ckvm_ioctl_ptr(fd, CKVM_SET_LAPIC, &raw), "KVM_SET_LAPIC")
    }
}

/// An owned struct kvm_msrs buffer for one ioctl (flexible array member, so it is allocated in C).
final class MSRBuffer {
    let pointer: UnsafeMutablePointer<kvm_msrs>
    let count: Int

    init(indices: [UInt32], values: [UInt64]?) throws(KVMError) {
        var out: UnsafeMutablePointer<kvm_msrs>?
        _ = try checkSystem(ckvm_msrs_alloc(UInt32(indices.count), &out), "calloc(kvm_msrs)")
        guard let out else { throw KVMError.system("calloc(kvm_msrs)", ENOMEM) }
        pointer = out
        count = indices.count
        // ckvm_msrs_alloc made room for indices.count entries.
        let slots = ckvm_msrs_entries(out)
        for (offset, index) in indices.enumerated() {
            slots[offset].index = index
            slots[offset].data = values?[offset] ?? 0
        }
    }

    var entries: [MSREntry] {
        // The allocation holds `count` entries.
        let slots = ckvm_msrs_entries(pointer)
        return (0..<count).map { MSREntry(index: slots[$0].index, value: slots[$0].data) }
    }

    deinit { ckvm_free(pointer) }
}
