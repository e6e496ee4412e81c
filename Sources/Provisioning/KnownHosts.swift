/// A known_hosts file that pins one VM's host key under a `HostKeyAlias`, so ssh checks the key by the VM's
/// name and never by `[127.0.0.1]:PORT` (the forwarded port may change; another VM may get it later).
public enum KnownHosts {
    public static let fileName = "known_hosts"

    /// `vmctl.<stack>.<vm>`: the name ssh looks the key up under.
    public static func alias(stack: String, vm: String) -> String { "vmctl.\(stack).\(vm)" }

    /// `ALIAS TYPE BASE64` (the key's comment dropped).
    public static func line(alias: String, publicKey: String) -> String {
        ([Substring(alias)] + KeyPairFiles.keyFields(publicKey)).joined(separator: " ")
    }

    /// Writes the file (atomically, 0644: it holds only a public key) with the one line.
    public static func write(alias: String, publicKey: String, to path: String) throws {
        guard KeyPairFiles.keyFields(publicKey).count == 2, !publicKey.contains("\n") else {
            throw ProvisioningError.invalidRequest("'\(publicKey.prefix(40))' is not an OpenSSH public key line")
        }
        try AtomicWrite.write(line(alias: alias, publicKey: publicKey) + "\n", to: path, mode: 0o644)
    }
}
