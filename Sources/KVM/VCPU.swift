import CKVM
import Glibc

/// One vCPU: owns the vCPU fd (closed in deinit) and, through `RunMapping`, its kvm_run mapping. Keeps its VM
/// (and so the VM's guest RAM) alive.
///
/// Use a VCPU from one thread at a time (KVM requires vCPU ioctls from the thread that runs it to be
/// serialized); `@unchecked Sendable` only lets it be handed to its vCPU thread. To interrupt `run()` from
/// another thread, use a `VCPUKicker` made on the vCPU thread.
public final class VCPU: @unchecked Sendable {
    let fd: Int32
    public let id: UInt32
    public let vm: VirtualMachine
    let mapping: RunMapping
    /// The read exit waiting for `completeRead`: where its data goes in the mapping and how many bytes.
    var pendingRead: (offset: UInt64, length: Int)?

    init(adopting fd: Int32, id: UInt32, vm: VirtualMachine) throws(KVMError) {
        // Until init succeeds, this scope owns the fd (rule 3).
        var owned = true
        defer { if owned { _ = ckvm_close(fd) } }
        mapping = try RunMapping(vcpuFD: fd, size: vm.system.vcpuMmapSize)
        self.fd = fd
        self.id = id
        self.vm = vm
        owned = false
    }

    deinit {
        // `mapping` is released after this body: the kvm_run mapping outlives nothing it depends on
        // (munmap after close is fine; the mapping holds its own reference to the vCPU file).
        _ = ckvm_close(fd)
    }

    /// KVM_KVMCLOCK_CTRL: tells the guest it was paused, so its watchdog does not report a soft lockup.
    /// Fails with EINVAL when the guest has not enabled kvmclock; callers may ignore that.
    public func notifyPaused() throws(KVMError) {
        _ = try checkIoctl(ckvm_ioctl_none(fd, CKVM_KVMCLOCK_CTRL, 0), "KVM_KVMCLOCK_CTRL")
    }

    /// kvm_run.immediate_exit: while set, KVM_RUN returns EINTR at once. `run()` clears it when it reports
    /// `.interrupted`.
    public var immediateExit: Bool {
        get { ckvm_run_immediate_exit(mapping.run) != 0 }
        // `mapping` (and so the kvm_run page) lives as long as self; the C accessors use atomics.
        set { ckvm_run_set_immediate_exit(mapping.run, newValue ? 1 : 0) }
    }
}
