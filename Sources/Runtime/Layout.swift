/// Where each runtime file lives. One folder per stack; inside, one per VM, volume images and network records.
public struct StackPaths: Sendable {
    public var root: String

    public init(stateDirectory: StateDirectory, stack: String) {
        root = stateDirectory.stackFolder(stack)
    }

    public var lock: String { root + "/lock" }
    public var lockHolder: String { root + "/lock.holder" }
    /// The budget the stack was last applied with (`StackRecord`).
    public var stackRecord: String { root + "/stack.json" }
    public var vms: String { root + "/vms" }
    public var volumes: String { root + "/volumes" }
    public var networks: String { root + "/networks" }
    /// The stack's SSH key pair for vmctl's user in image VMs (`id_ed25519`, 0600).
    public var ssh: String { root + "/ssh" }
    public func vm(_ name: String) -> VMPaths { VMPaths(directory: "\(vms)/\(name)") }
    public func volumeImage(_ name: String) -> String { "\(volumes)/\(name).img" }
    public func volumeRecord(_ name: String) -> String { "\(volumes)/\(name).json" }
    public func networkRecord(_ name: String) -> String { "\(networks)/\(name).json" }
}

/// The files of one VM. The VMM process owns the sockets; the wrapper writes `pid` and `exit`.
public struct VMPaths: Sendable {
    public var directory: String

    /// The applied spec, backend, and the identity of the running process.
    public var record: String { directory + "/vm.json" }
    public var pid: String { directory + "/pid" }
    /// Written by the wrapper when the VMM exits: its exit status (128+N for signal N).
    public var exit: String { directory + "/exit" }
    public var consoleLog: String { directory + "/console.log" }
    public var consoleSocket: String { directory + "/console.sock" }
    public var controlSocket: String { directory + "/qmp.sock" }
    /// The guest agent's channel (virtio-serial port `vmctl.agent`), used by `vmctl exec`.
    public var agentSocket: String { directory + "/agent.sock" }
    /// The VMM's own stderr: why it refused to start.
    public var vmmLog: String { directory + "/vmm.log" }
    /// The kvm backend's launch spec for vmctl-vmm (docs/control-protocol.md), written at each start.
    public var launchSpec: String { directory + "/launch.json" }
    /// Present once the guest reached its readiness marker in this boot.
    public var ready: String { directory + "/ready" }
    /// Why the current boot is not ready although the guest runs (a cloud-init error), for `status --wide`.
    public var notReady: String { directory + "/not-ready" }
    /// Image VMs: the root disk, a qcow2 overlay on the stored base image.
    public var rootDisk: String { directory + "/root.qcow2" }
    /// Image VMs: the NoCloud seed (ISO 9660, label cidata), attached read-only.
    public var seed: String { directory + "/seed.iso" }
    /// Image VMs with UEFI: the VM's own copy of OVMF's variable store (boot entries survive restarts).
    public var firmwareVars: String { directory + "/efivars.fd" }
    /// Image VMs: the SSH host key vmctl generated and the known_hosts file that pins it.
    public var hostKey: String { directory + "/ssh_host_ed25519_key" }
    public var knownHosts: String { directory + "/known_hosts" }
}
