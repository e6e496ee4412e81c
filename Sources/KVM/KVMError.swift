import Glibc

/// Everything the KVM layer can fail with. C calls return -errno; it becomes one of these at once, naming the
/// operation (architecture.md rule 4).
public enum KVMError: Error, Equatable, Sendable, CustomStringConvertible {
    /// open(2) of a device node failed.
    case open(path: String, errno: Int32)
    /// An ioctl failed: its KVM name and the errno.
    case ioctl(String, Int32)
    /// A system call other than an ioctl failed (mmap, munmap, eventfd, sigaction, pthread_kill).
    case system(String, Int32)
    /// KVM_GET_API_VERSION did not return 12.
    case unsupportedAPIVersion(Int32)
    /// Capabilities the host kernel lacks.
    case missingCapabilities([String])
    /// KVM_SET_MSRS / KVM_GET_MSRS handled only the first `handled` of `requested` MSRs.
    case partialMSRs(handled: Int, requested: Int, firstFailingIndex: UInt32)
    /// A caller-supplied value was rejected before reaching the kernel.
    case invalidArgument(String)
    /// kvm_run described data outside its own mapping (a kernel/ABI mismatch); the exit is not decoded.
    case corruptExit(String)

    public var description: String {
        switch self {
        case let .open(path, code):
            let hint: String
            switch code {
            case ENOENT: hint = " (KVM is not available: load kvm_intel or kvm_amd, or enable virtualization in the firmware)"
            case EACCES, EPERM: hint = " (add the user to the group owning \(path), usually 'kvm', or run as root)"
            default: hint = ""
            }
            return "cannot open \(path): \(Self.message(code))\(hint)"
        case let .ioctl(name, code):
            return "\(name) failed: \(Self.message(code))"
        case let .system(call, code):
            return "\(call) failed: \(Self.message(code))"
        case let .unsupportedAPIVersion(version):
            return "the kernel's KVM API version is \(version); vmctl needs version 12"
        case let .missingCapabilities(names):
            return "the host's KVM lacks required capabilities: \(names.joined(separator: ", "))"
        case let .partialMSRs(handled, requested, index):
            return "KVM accepted only \(handled) of \(requested) MSRs; MSR 0x\(String(index, radix: 16)) was refused"
        case let .invalidArgument(what):
            return "invalid argument: \(what)"
        case let .corruptExit(what):
            return "KVM reported an exit the VMM cannot decode: \(what)"
        }
    }

    /// "Invalid argument (EINVAL)"-style text for an errno.
    static func message(_ code: Int32) -> String {
        // strerror returns a pointer to a static, NUL-terminated string for every errno value.
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text) + " (errno \(code))"
    }
}

/// Turns a CKVM result (value or -errno) into the value or a typed error naming the ioctl.
@inline(__always)
func checkIoctl(_ result: Int32, _ name: String) throws(KVMError) -> Int32 {
    if result < 0 { throw KVMError.ioctl(name, -result) }
    return result
}

/// Same for non-ioctl calls.
@inline(__always)
func checkSystem(_ result: Int32, _ call: String) throws(KVMError) -> Int32 {
    if result < 0 { throw KVMError.system(call, -result) }
    return result
}
