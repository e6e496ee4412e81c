import Foundation

/// Where vmctl keeps its state: `--state-dir`, else `VMCTL_STATE_DIR`, else `/var/lib/vmctl` for root,
/// else `$XDG_STATE_HOME/vmctl` (default `~/.local/state/vmctl`).
public struct StateDirectory: Sendable {
    public var path: String

    public init(path: String) { self.path = path }

    public static func resolve(flag: String?, env: [String: String], isRoot: Bool = geteuid() == 0) -> StateDirectory {
        if let flag, !flag.isEmpty { return StateDirectory(path: flag) }
        if let fromEnv = env["VMCTL_STATE_DIR"], !fromEnv.isEmpty { return StateDirectory(path: fromEnv) }
        if isRoot { return StateDirectory(path: "/var/lib/vmctl") }
        let xdg = env["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((env["HOME"] ?? "/tmp") + "/.local/state")
        return StateDirectory(path: xdg + "/vmctl")
    }

    public func stackFolder(_ stack: String) -> String { "\(path)/stacks/\(stack)" }
}

/// Errors of the runtime, each naming the VM or file and the operation.
public enum RuntimeError: Error, CustomStringConvertible {
    case unreadableState(file: String, reason: String)
    case io(operation: String, code: Int32)
    case locked(stack: String, holder: String)
    case vm(name: String, operation: String, reason: String)
    case network(name: String, operation: String, reason: String)
    case missingTool(tool: String, package: String)

    public var description: String {
        switch self {
        case .unreadableState(let file, let reason):
            return "cannot read the state file \(file): \(reason) (the file is left untouched)"
        case .io(let operation, let code):
            return "cannot \(operation): \(String(cString: strerror(code)))"
        case .locked(let stack, let holder):
            return "stack '\(stack)' is locked by another vmctl: \(holder)"
        case .vm(let name, let operation, let reason):
            return "VM '\(name)': \(operation) failed: \(reason)"
        case .network(let name, let operation, let reason):
            return "network '\(name)': \(operation) failed: \(reason)"
        case .missingTool(let tool, let package):
            return "\(tool) is not installed; install the Debian package \(package) (apt-get install \(package))"
        }
    }
}
