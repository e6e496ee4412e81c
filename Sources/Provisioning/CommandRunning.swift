/// What a finished command left: its exit status and both outputs.
public struct CommandResult: Hashable, Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Runs host tools (genisoimage, ssh-keygen); tests substitute a fake.
public protocol CommandRunning: Sendable {
    /// Runs `tool` (a name looked up in the usual bin folders, or an absolute path) with `arguments`, stdin
    /// empty, in `directory` if given. Throws `toolMissing` naming `package` when the tool is not installed.
    func run(_ tool: String, _ arguments: [String], package: String, directory: String?) throws -> CommandResult
}

extension CommandRunning {
    /// Runs the tool and throws `commandFailed` (with its stderr) unless it exits 0.
    @discardableResult
    func check(_ tool: String, _ arguments: [String], package: String, directory: String? = nil) throws -> CommandResult {
        let result = try run(tool, arguments, package: package, directory: directory)
        guard result.status == 0 else {
            throw ProvisioningError.commandFailed(command: ([tool] + arguments).joined(separator: " "), status: result.status,
                                                  output: result.stderr.isEmpty ? result.stdout : result.stderr)
        }
        return result
    }
}
