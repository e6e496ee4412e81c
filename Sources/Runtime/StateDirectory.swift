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

public enum RuntimeError: Error, CustomStringConvertible {
    case unreadableState(file: String, reason: String)

    public var description: String {
        switch self {
        case .unreadableState(let file, let reason):
            return "cannot read the state file \(file): \(reason) (the file is left untouched)"
        }
    }
}
