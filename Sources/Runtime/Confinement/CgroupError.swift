import Foundation

/// Why a cgroup could not be used. `unavailable` means the host offers none vmctl can use (VMs then run without);
/// the others are failures on a usable hierarchy.
public enum CgroupError: Error, Equatable, CustomStringConvertible {
    case unavailable(String)
    case io(operation: String, path: String, code: Int32)
    case notEmpty(path: String, pids: [Int32])
    case badName(String)

    public var description: String {
        switch self {
        case .unavailable(let reason): return reason
        case .io(let operation, let path, let code): return "cannot \(operation) \(path): \(String(cString: strerror(code)))"
        case .notEmpty(let path, let pids): return "\(path) still holds processes \(pids.map(String.init).joined(separator: ", "))"
        case .badName(let problem): return "not a cgroup name vmctl makes: \(problem)"
        }
    }

    /// No permission or a read-only hierarchy: the host lets this vmctl use no cgroups (not root, a container).
    var meansUnavailable: Bool {
        if case .unavailable = self { return true }
        if case .io(_, _, let code) = self { return [EACCES, EPERM, EROFS].contains(code) }
        return false
    }
}
