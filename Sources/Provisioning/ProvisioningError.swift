import Foundation

/// Every way provisioning fails, each with a message a user can act on.
public enum ProvisioningError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The request itself is inconsistent (two default routes, a bad name…): a bug in the caller or the manifest.
    case invalidRequest(String)
    /// `cloudInit.userData` could not be read.
    case userDataUnreadable(file: String, reason: String)
    /// `cloudInit.userData` is not a cloud-config document, or breaks a merge rule; `line` is 1-based, 0 if unknown.
    case userData(file: String, line: Int, column: Int, message: String)
    /// A host tool is not installed.
    case toolMissing(tool: String, package: String)
    /// A host tool ran and failed.
    case commandFailed(command: String, status: Int32, output: String)
    /// A file or folder operation failed.
    case io(operation: String, path: String, reason: String)
    /// A key file vmctl keeps is there but unusable.
    case badKey(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidRequest(let message):
            return "cannot provision: \(message)"
        case .userDataUnreadable(let file, let reason):
            return "cloudInit.userData: cannot read \(file): \(reason)"
        case .userData(let file, let line, let column, let message):
            let place = line > 0 ? (column > 0 ? ":\(line):\(column)" : ":\(line)") : ""
            return "\(file)\(place): \(message)"
        case .toolMissing(let tool, let package):
            return "\(tool) is not installed; install the Debian package '\(package)' (apt-get install \(package))"
        case .commandFailed(let command, let status, let output):
            let detail = output.trimmingCharacters(in: .whitespacesAndNewlines)
            return "'\(command)' failed with exit status \(status)" + (detail.isEmpty ? "" : ": \(detail)")
        case .io(let operation, let path, let reason):
            return "cannot \(operation) \(path): \(reason)"
        case .badKey(let path, let reason):
            return "the key \(path) cannot be used: \(reason)"
        }
    }
}

extension ProvisioningError: LocalizedError {
    public var errorDescription: String? { description }
}
