import CKVM
import Glibc

/// Pending events and the x87 state: what the VMM needs to complete an instruction KVM could not emulate.
extension VCPU {
    /// Queues exception `vector` (no error code) for delivery at the next KVM_RUN, as the CPU would raise it at the
    /// current RIP: for a trap such as #BP the caller first moves RIP past the instruction.
    public func injectException(vector: UInt8) throws(KVMError) {
        var events = kvm_vcpu_events()
        // `events` lives for both calls; the kernel writes, then reads sizeof(kvm_vcpu_events) bytes.
        _ = try checkIoctl(ckvm_ioctl_ptr(fd, CKVM_GET_VCPU_EVENTS, &events), "KVM_GET_VCPU_EVENTS")
        events.exception.injected = 1
        events.exception.nr = vector
        events.exception.has_error_code = 0
        events.exception.error_code = 0
        events.flags = 0   // leave NMI, SIPI, SMM and the shadow as they are (their valid-flags unset)
        _ = try checkIoctl(ckvm_ioctl_ptr(fd, CKVM_SET_VCPU_EVENTS, &events), "KVM_SET_VCPU_EVENTS")
    }

    /// The x87 FPU status word (FSW): bit 7 (ES) set means an unmasked floating-point exception is pending.
    public func fpuStatusWord() throws(KVMError) -> UInt16 {
        var raw = kvm_fpu()
        // `raw` lives for the call; the kernel writes sizeof(kvm_fpu) bytes into it.
        _ = try checkIoctl(ckvm_ioctl_ptr(fd, CKVM_GET_FPU, &raw), "KVM_GET_FPU")
        return raw.fsw
    }
}
