import CKVM
import Glibc

/// The vCPU's shared struct kvm_run page(s): owns the mmap and unmaps it in deinit. Only the KVM module reads
/// it (rule 6); a `VCPUKicker` keeps it alive to write `immediate_exit` from another thread.
///
/// `@unchecked Sendable`: the address and size never change; the one field touched across threads,
/// immediate_exit, is accessed only with atomics (ckvm_run_*_immediate_exit).
final class RunMapping: @unchecked Sendable {
    let run: UnsafeMutablePointer<kvm_run>
    let size: Int

    init(vcpuFD: Int32, size: Int) throws(KVMError) {
        var address: UnsafeMutableRawPointer?
        _ = try checkSystem(ckvm_mmap_shared(vcpuFD, size, &address), "mmap(kvm_run)")
        guard let address else { throw KVMError.system("mmap(kvm_run)", ENOMEM) }
        // KVM_GET_VCPU_MMAP_SIZE >= sizeof(kvm_run) was checked by KVMSystem; the mapping is page-aligned.
        run = address.bindMemory(to: kvm_run.self, capacity: 1)
        self.size = size
    }

    deinit {
        // Exactly the range mmap returned in init; nothing else unmaps it.
        _ = ckvm_munmap(UnsafeMutableRawPointer(run), size)
    }

    /// A pointer to `length` bytes at `offset` from the start of the mapping, or nil if that range leaves it.
    func bytes(at offset: UInt64, length: Int) -> UnsafeMutableRawPointer? {
        guard length >= 0, offset <= UInt64(size), UInt64(length) <= UInt64(size) - offset else { return nil }
        // The range was just checked to lie inside the mapping.
        return UnsafeMutableRawPointer(run) + Int(offset)
    }
}
