/// What `VMProvisioner.prepare` left in a VM's folder: the seed to attach and how to reach the VM over SSH.
public struct PreparedVM: Hashable, Sendable {
    /// Record it; a different one next time means the VM is provisioned again at its next boot.
    public var instanceID: String
    /// `<vm folder>/seed.iso`: attach read-only (`-drive file=…,format=raw,media=cdrom,readonly=on`).
    public var seedPath: String
    /// `<vm folder>/known_hosts`, pinning `hostKey` under `hostKeyAlias`.
    public var knownHostsPath: String
    public var hostKeyAlias: String
    public var hostKey: HostKey
    /// The rendered seed (its files are in the ISO).
    public var seed: NoCloudSeed

    /// `ssh` to the VM through its forwarded SSH port on 127.0.0.1.
    public func sshCommand(stackKey: StackSSHKey, port: Int) -> SSHCommand {
        SSHCommand(privateKeyPath: stackKey.privateKeyPath, port: port, knownHostsPath: knownHostsPath, hostKeyAlias: hostKeyAlias)
    }
}
