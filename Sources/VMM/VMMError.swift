import Glibc
import KVM
import VMMDevices

/// Everything building or running a machine can fail with. Each case names the step that failed, so one
/// line on stderr tells the user what went wrong (architecture.md rule 8).
public enum VMMError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A KVM call failed during `step` (e.g. "create the in-kernel irqchip").
    case kvm(step: String, KVMError)
    /// The kernel, initrd or command line could not be placed.
    case boot(BootError)
    case acpi(ACPIError)
    /// A file the spec names could not be read.
    case file(what: String, path: String, errno: Int32)
    /// A disk image could not be opened.
    case disk(path: String, BlockBackendError)
    /// Writing boot data into guest RAM failed.
    case guestMemory(what: String, GuestMemoryError)
    /// A system call other than a KVM ioctl failed.
    case system(String, Int32)
    /// A device could not be attached (bus overlap, too many devices).
    case device(String)

    public var description: String {
        switch self {
        case let .kvm(step, error): return "\(step): \(error)"
        case let .boot(error): return "load the kernel: \(error)"
        case let .acpi(error): return "build the ACPI tables: \(error)"
        case let .file(what, path, code): return "read the \(what) \(path): \(Self.message(code))"
        case let .disk(path, error): return "open disk \(path): \(Self.describe(error))"
        case let .guestMemory(what, error): return "write the \(what) into guest RAM: \(error)"
        case let .system(call, code): return "\(call) failed: \(Self.message(code))"
        case let .device(what): return "attach devices: \(what)"
        }
    }

    static func message(_ code: Int32) -> String {
        // strerror returns a pointer to a static, NUL-terminated string for every errno value.
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }

    static func describe(_ error: BlockBackendError) -> String {
        switch error {
        case let .open(_, code): return message(code)
        case let .io(call, code): return "\(call): \(message(code))"
        case .readOnly: return "read-only"
        case let .outOfRange(offset, length): return "access at \(offset)+\(length) outside the disk"
        }
    }
}

extension KVMError {
    /// Wraps a KVM error with the set-up step it interrupted.
    func during(_ step: String) -> VMMError { .kvm(step: step, self) }
}
