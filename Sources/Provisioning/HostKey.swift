/// A VM's SSH host key: an ed25519 pair vmctl generates once per VM, gives cloud-init in the seed
/// (`ssh_keys`), and pins in the VM's known_hosts, so every connection checks the guest strictly.
public struct HostKey: Hashable, Sendable {
    public static let fileName = "ssh_host_ed25519_key"

    /// The private key (mode 0600) in the VM's folder.
    public var privateKeyPath: String
    /// Both halves, as `SeedRequest.hostKey` wants them.
    public var keyPair: SSHKeyPair

    /// The key in `folder` (the VM's folder; created 0700 if missing), generated on the first call and reused afterwards.
    public static func ensure(in folder: String, stack: String, vm: String, keygen: SSHKeygen = SSHKeygen()) throws -> HostKey {
        let files = KeyPairFiles(privateKeyPath: folder + "/" + fileName, keygen: keygen)
        let pair = try files.ensure(comment: "vmctl host key \(stack)/\(vm)")
        return HostKey(privateKeyPath: files.privateKeyPath, keyPair: pair)
    }
}
