import CKVM
import Glibc

/// The /dev/kvm handle: API version, capabilities, supported CPUID, and the factory for VMs.
/// Owns the /dev/kvm fd and closes it in deinit. Immutable after init, so it may be shared across threads.
public final class KVMSystem: Sendable {
    /// The API version every supported kernel reports (KVM_GET_API_VERSION).
    public static let requiredAPIVersion: Int32 = 12
    /// The first KVM_GET_SUPPORTED_CPUID buffer size (kvm-bindings KVM_MAX_CPUID_ENTRIES); doubled on E2BIG.
    static let initialCPUIDEntries = 80
    static let maximumCPUIDEntries = 4096

    let fd: Int32
    public let path: String
    /// Size of each vCPU's kvm_run mapping (KVM_GET_VCPU_MMAP_SIZE).
    public let vcpuMmapSize: Int

    /// Opens `path`, checks the API version, and reads the vCPU mmap size.
    public init(path: String = "/dev/kvm") throws(KVMError) {
        let fd = ckvm_open_rdwr(path)
        guard fd >= 0 else { throw KVMError.open(path: path, errno: -fd) }
        // Until init succeeds, this scope owns the fd (rule 3).
        var owned = true
        defer { if owned { _ = ckvm_close(fd) } }

        let version = try checkIoctl(ckvm_ioctl_none(fd, CKVM_GET_API_VERSION, 0), "KVM_GET_API_VERSION")
        guard version == Self.requiredAPIVersion else { throw KVMError.unsupportedAPIVersion(version) }
        let mmapSize = try checkIoctl(ckvm_ioctl_none(fd, CKVM_GET_VCPU_MMAP_SIZE, 0), "KVM_GET_VCPU_MMAP_SIZE")
        guard mmapSize >= MemoryLayout<kvm_run>.size else {
            throw KVMError.corruptExit("KVM_GET_VCPU_MMAP_SIZE returned \(mmapSize), smaller than struct kvm_run")
        }
        self.fd = fd
        self.path = path
        vcpuMmapSize = Int(mmapSize)
        owned = false
    }

    deinit { _ = ckvm_close(fd) }

    /// KVM_CHECK_EXTENSION: 0 when unsupported, else 1 or a capability-specific number.
    public func extensionValue(_ capability: KVMCapability) -> Int32 {
        max(0, ckvm_ioctl_none(fd, CKVM_CHECK_EXTENSION, UInt(capability.rawValue)))
    }

    public func supports(_ capability: KVMCapability) -> Bool { extensionValue(capability) > 0 }

    /// Throws one error naming every missing capability.
    public func require(_ capabilities: [KVMCapability] = KVMCapability.requiredByVMM) throws(KVMError) {
        let missing = capabilities.filter { !supports($0) }.map(\.name)
        if !missing.isEmpty { throw KVMError.missingCapabilities(missing) }
    }

    /// KVM_GET_SUPPORTED_CPUID, growing the buffer on E2BIG. Costly: call once per process and keep the result.
    public func supportedCPUID() throws(KVMError) -> [CPUIDEntry] {
        var capacity = Self.initialCPUIDEntries
        while true {
            let buffer = try CPUIDBuffer(capacity: capacity)
            let result = ckvm_ioctl_ptr(fd, CKVM_GET_SUPPORTED_CPUID, buffer.pointer)
            if result == -E2BIG && capacity < Self.maximumCPUIDEntries {
                capacity *= 2
                continue
            }
            _ = try checkIoctl(result, "KVM_GET_SUPPORTED_CPUID")
            return buffer.entries
        }
    }

    /// KVM_CREATE_VM (machine type 0).
    public func createVM() throws(KVMError) -> VirtualMachine {
        let vmFD = try checkIoctl(ckvm_ioctl_none(fd, CKVM_CREATE_VM, 0), "KVM_CREATE_VM")
        return VirtualMachine(adopting: vmFD, system: self)
    }
}
