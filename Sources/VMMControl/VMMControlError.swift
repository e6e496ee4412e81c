import Glibc

/// The one error type of VMMControl: loading a launch spec, talking over a control socket, or a VMM's
/// error answer. Every case names the operation that failed.
public enum VMMControlError: Error, Equatable, CustomStringConvertible {
    /// The launch spec could not be read (file or stdin).
    case specUnreadable(source: String, reason: String)
    /// The launch spec is not JSON of the right shape.
    case specMalformed(String)
    /// The launch spec has a version this build does not read.
    case specUnsupportedVersion(Int)
    /// The launch spec decoded, but some fields are out of range; every problem is listed.
    case specInvalid([LaunchSpec.Problem])
    /// A system call on a control socket failed.
    case socket(operation: String, path: String, errno: Int32)
    case socketPathTooLong(String)
    /// A control socket exists and a live server answers on it.
    case socketInUse(String)
    /// A path exists where the socket should go and it is not a socket.
    case notASocket(String)
    case timeout(operation: String)
    case closed(operation: String)
    /// The peer sent something that is not the control protocol.
    case protocolViolation(String)
    /// The VMM answered with an error.
    case remote(ControlError)
    case thread(operation: String, errno: Int32)

    public var description: String {
        switch self {
        case .specUnreadable(let source, let reason): return "read launch spec \(source): \(reason)"
        case .specMalformed(let reason): return "decode launch spec: \(reason)"
        case .specUnsupportedVersion(let version):
            return "decode launch spec: version \(version) is not supported (this vmctl-vmm reads version \(LaunchSpec.currentVersion))"
        case .specInvalid(let problems):
            return "validate launch spec: " + problems.map(\.description).joined(separator: "; ")
        case .socket(let operation, let path, let code): return "\(operation) \(path): \(String(cString: strerror(code)))"
        case .socketPathTooLong(let path):
            return "control socket path is too long for AF_UNIX (\(path.utf8.count) bytes, max \(UnixAddress.maxPathBytes)): \(path)"
        case .socketInUse(let path): return "bind \(path): another VMM is serving this control socket"
        case .notASocket(let path): return "bind \(path): the path exists and is not a socket; not removing it"
        case .timeout(let operation): return "\(operation): timed out"
        case .closed(let operation): return "\(operation): connection closed by the peer"
        case .protocolViolation(let reason): return "control protocol: \(reason)"
        case .remote(let error): return "VMM refused: \(error.code.rawValue): \(error.message)"
        case .thread(let operation, let code): return "\(operation): \(String(cString: strerror(code)))"
        }
    }
}
