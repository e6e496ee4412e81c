/// The stack's SSH key: one ed25519 pair per stack, with which vmctl (and `vmctl ssh`) logs in as `vmctl` on
/// every image VM of the stack. The runtime keeps it in `<state>/stacks/<stack>/ssh/`.
public struct StackSSHKey: Hashable, Sendable {
    public static let fileName = "id_ed25519"

    /// The private key (mode 0600), for `ssh -i`.
    public var privateKeyPath: String
    /// `ssh-ed25519 AAAA… vmctl@<stack>`: authorized for the `vmctl` user in each seed.
    public var publicKey: String

    /// The key in `folder` (created 0700 if missing), generated on the first call and reused afterwards.
    public static func ensure(in folder: String, stack: String, keygen: SSHKeygen = SSHKeygen()) throws -> StackSSHKey {
        let files = KeyPairFiles(privateKeyPath: folder + "/" + fileName, keygen: keygen)
        let pair = try files.ensure(comment: "vmctl@\(stack)")
        return StackSSHKey(privateKeyPath: files.privateKeyPath, publicKey: pair.publicKey)
    }
}
