/// Why KVM_RUN returned, decoded from kvm_run (architecture.md rule 6: nothing above KVM reads kvm_run).
/// After `.ioIn` and `.mmioRead`, call `VCPU.completeRead` before the next `run()`; an unanswered read
/// returns zeros to the guest.
public enum VMExit: Equatable, Sendable {
    /// `in`/`ins` on `port`: `size` bytes (1, 2, 4) per access, `count` accesses (> 1 for `rep ins`).
    case ioIn(port: UInt16, size: Int, count: Int)
    /// `out`/`outs` on `port`: `data` holds `size × count` bytes in guest order.
    case ioOut(port: UInt16, size: Int, count: Int, data: [UInt8])
    /// A load of `length` bytes (1–8) from an address with no memory slot.
    case mmioRead(address: UInt64, length: Int)
    /// A store to an address with no memory slot; `data.count` is the access length.
    case mmioWrite(address: UInt64, data: [UInt8])
    /// HLT with no in-kernel LAPIC (with `createIRQChip()` KVM handles HLT itself).
    case hlt
    /// Triple fault (KVM_EXIT_SHUTDOWN).
    case shutdown
    /// KVM_EXIT_SYSTEM_EVENT (PSCI or equivalent); x86 guests rarely produce it.
    case systemEvent(SystemEvent)
    /// KVM could not handle the exit (e.g. suberror 1 = emulation failure); `data` is KVM's debug words.
    case internalError(suberror: UInt32, data: [UInt64])
    /// VM entry failed: the hardware reason (VMX/SVM specific) and the host CPU.
    case failEntry(reason: UInt64, cpu: UInt32)
    /// KVM_RUN returned EINTR: a kick (signal/immediate_exit) or another signal. `immediate_exit` is cleared.
    case interrupted
    /// Any other exit reason (KVM_EXIT_*), with hw.hardware_exit_reason for KVM_EXIT_UNKNOWN.
    case unknown(reason: UInt32, hardwareReason: UInt64)

    public enum SystemEvent: Equatable, Sendable {
        case shutdown
        case reset
        case crash
        case other(type: UInt32, data: UInt64)
    }
}
