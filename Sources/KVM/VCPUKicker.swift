import CKVM
import Glibc

/// Interrupts a vCPU thread blocked in `VCPU.run()` (vmm-facts.md §7): sets kvm_run.immediate_exit (so a
/// kick landing before KVM_RUN is not lost), then sends the kick signal (SIGRTMIN) to the thread, whose
/// KVM_RUN returns EINTR → `.interrupted`.
///
/// Make it on the vCPU thread (`VCPU.makeKicker()`) after `installSignalHandler()`; use it from any thread.
/// It keeps the kvm_run mapping alive. The vCPU thread must not have been joined when `kick()` is called.
public final class VCPUKicker: Sendable {
    private let mapping: RunMapping
    private let thread: pthread_t

    init(mapping: RunMapping, thread: pthread_t) {
        self.mapping = mapping
        self.thread = thread
    }

    /// Installs the process-wide kick handler (does nothing, no SA_RESTART) and unblocks the signal in the
    /// calling thread. Idempotent; call once before starting vCPU threads.
    public static func installSignalHandler() throws(KVMError) {
        _ = try checkSystem(ckvm_install_kick_handler(), "sigaction(SIGRTMIN)")
    }

    /// Unblocks the kick signal in the calling thread (for threads started with it blocked).
    public static func unblockSignalInCurrentThread() throws(KVMError) {
        _ = try checkSystem(ckvm_unblock_kick_signal(), "pthread_sigmask(SIGRTMIN)")
    }

    public func kick() throws(KVMError) {
        // Release store: whatever the caller wrote before kicking is visible to the vCPU thread once it
        // sees the flag (run() clears it with an acquire-release exchange).
        ckvm_run_set_immediate_exit(mapping.run, 1)
        _ = try checkSystem(ckvm_kick_thread(thread), "pthread_kill(vCPU thread)")
    }
}

extension VCPU {
    /// A kicker for the calling thread, which must be the thread that calls `run()`.
    public func makeKicker() -> VCPUKicker {
        VCPUKicker(mapping: mapping, thread: pthread_self())
    }
}
