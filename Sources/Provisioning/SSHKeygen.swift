import Foundation

/// The system's `ssh-keygen` (Debian's openssh-client): ed25519 keys without a passphrase.
public struct SSHKeygen: Sendable {
    public static let tool = "ssh-keygen"
    public static let package = "openssh-client"

    public var runner: any CommandRunning

    public init(runner: any CommandRunning = SystemCommandRunner()) {
        self.runner = runner
    }

    /// Writes a new ed25519 key pair to `path` and `path.pub` (neither may exist).
    public func generate(at path: String, comment: String) throws {
        try runner.check(Self.tool, ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path], package: Self.package)
    }

    /// The public key line of the private key at `path` (`ssh-keygen -y`), which also proves the file is a key.
    public func publicKey(ofPrivateKeyAt path: String) throws -> String {
        let result = try runner.run(Self.tool, ["-y", "-f", path], package: Self.package, directory: nil)
        guard result.status == 0 else {
            let reason = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            throw ProvisioningError.badKey(path: path, reason: "ssh-keygen cannot read it (\(reason.isEmpty ? "exit status \(result.status)" : reason))")
        }
        let line = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard line.hasPrefix("ssh-ed25519 ") else {
            throw ProvisioningError.badKey(path: path, reason: "it is not an ed25519 key (ssh-keygen -y printed '\(line.prefix(30))')")
        }
        return line
    }
}
