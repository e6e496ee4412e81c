import Glibc
import KVM
import Testing

@Suite("KVM errors (no /dev/kvm needed)")
struct KVMErrorTests {
    @Test("a missing device node says what to do")
    func missingDevice() {
        #expect {
            _ = try KVMSystem(path: "/nonexistent/kvm")
        } throws: { error in
            guard let error = error as? KVMError, case .open(_, ENOENT) = error else { return false }
            return error.description.hasPrefix("cannot open /nonexistent/kvm: No such file or directory") &&
                error.description.contains("kvm_intel or kvm_amd")
        }
    }

    @Test("ioctl failures name the ioctl and the errno")
    func messages() {
        #expect(KVMError.ioctl("KVM_SET_SREGS", EINVAL).description == "KVM_SET_SREGS failed: Invalid argument (errno 22)")
        #expect(KVMError.open(path: "/dev/kvm", errno: EACCES).description.contains("group"))
        #expect(KVMError.missingCapabilities(["KVM_CAP_IRQFD"]).description.contains("KVM_CAP_IRQFD"))
        #expect(KVMError.partialMSRs(handled: 2, requested: 3, firstFailingIndex: 0x1A0).description
            == "KVM accepted only 2 of 3 MSRs; MSR 0x1a0 was refused")
    }
}
