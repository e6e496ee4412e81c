import VMCtlModel

/// The runtime's entry point for image VMs: the stack key once per stack, then per VM its host key, seed ISO
/// and known_hosts, all in folders the runtime gives (docs/provisioning.md, "Files").
public struct VMProvisioner: Sendable {
    public static let seedFileName = "seed.iso"

    public var keygen: SSHKeygen
    public var seedImage: SeedImage
    /// Reads `cloudInit.userData`.
    public var readFile: @Sendable (String) throws -> String

    public init(runner: any CommandRunning = SystemCommandRunner(),
                readFile: @escaping @Sendable (String) throws -> String = NoCloudSeed.readFile) {
        self.keygen = SSHKeygen(runner: runner)
        self.seedImage = SeedImage(runner: runner)
        self.readFile = readFile
    }

    /// The stack's key in `folder` (`<state>/stacks/<stack>/ssh`), generated on first use.
    public func stackKey(in folder: String, stack: String) throws -> StackSSHKey {
        try StackSSHKey.ensure(in: folder, stack: stack, keygen: keygen)
    }

    /// The VM's seed as it would be written now (its host key is generated if the VM has none yet): the
    /// instance-id tells the planner whether a VM would be provisioned again. Writes nothing else.
    public func seed(vmFolder: String, stack: String, vm: String, cloudInit: CloudInitSpec?, nics: [SeedRequest.NIC],
                     hosts: [SeedRequest.Host], stackKey: StackSSHKey) throws -> (seed: NoCloudSeed, hostKey: HostKey) {
        let hostKey = try HostKey.ensure(in: vmFolder, stack: stack, vm: vm, keygen: keygen)
        let request = SeedRequest(stack: stack, vm: vm, cloudInit: cloudInit, nics: nics, hosts: hosts,
                                  authorizedKey: stackKey.publicKey, hostKey: hostKey.keyPair)
        return (try NoCloudSeed(request, readFile: readFile), hostKey)
    }

    /// Writes `<vmFolder>/seed.iso` and `<vmFolder>/known_hosts` (each atomically) for the VM's next boot.
    public func prepare(vmFolder: String, stack: String, vm: String, cloudInit: CloudInitSpec?, nics: [SeedRequest.NIC],
                        hosts: [SeedRequest.Host], stackKey: StackSSHKey) throws -> PreparedVM {
        let (seed, hostKey) = try self.seed(vmFolder: vmFolder, stack: stack, vm: vm, cloudInit: cloudInit, nics: nics,
                                            hosts: hosts, stackKey: stackKey)
        let seedPath = vmFolder + "/" + Self.seedFileName
        try seedImage.write(seed, to: seedPath)
        let alias = KnownHosts.alias(stack: stack, vm: vm)
        let knownHostsPath = vmFolder + "/" + KnownHosts.fileName
        try KnownHosts.write(alias: alias, publicKey: hostKey.keyPair.publicKey, to: knownHostsPath)
        return PreparedVM(instanceID: seed.instanceID, seedPath: seedPath, knownHostsPath: knownHostsPath,
                          hostKeyAlias: alias, hostKey: hostKey, seed: seed)
    }
}
