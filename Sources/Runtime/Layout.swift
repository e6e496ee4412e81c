/// Where each runtime file lives. One folder per stack; inside, one per VM, volume images and network records.
public struct StackPaths: Sendable {
    public var root: String

    public init(stateDirectory: StateDirectory, stack: String) {
        root = stateDirectory.stackFolder(stack)
    }

    public var lock: String { root + "/lock" }
    public var lockHolder: String { root + "/lock.holder" }
    public var vms: String { root + "/vms" }
    public var volumes: String { root + "/volumes" }
    public var networks: String { root + "/networks" }
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
}
