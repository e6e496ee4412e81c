import VMCtlModel

/// What vmctl knows about one VM between commands (`vm.json`). Its power state is never stored: it is read
/// live from the process and its control socket.
public struct VMRecord: Codable, Sendable, Equatable {
    public var name: String
    public var stack: String
    public var backend: BackendKind
    /// Why this backend: "backend: qemu in the manifest", "auto: no hardware virtualization (…)".
    public var backendReason: String
    /// The spec the VM was last applied with.
    public var spec: VMSpec
    /// The VMM process, once launched; identity is pid + start time (clock ticks since boot).
    public var pid: Int32?
    public var processStartTime: UInt64?
    /// Wall-clock launch time (seconds since 1970), for uptime.
    public var launchedAt: Double?
    /// The last stop: "graceful" (the guest powered off) or "forced".
    public var lastStop: String?
    /// Where the current boot's output starts in the console log, and the marker that makes it ready: any vmctl
    /// can then tell that a guest became ready while no vmctl watched (the one that started it was killed).
    public var bootLogOffset: UInt64?
    public var readinessMarker: String?
    /// Image VMs: the digest of the stored base image the root disk is an overlay of (`vmctl image` reads it).
    public var imageDigest: String?
    /// Image VMs: the cloud-init instance-id of the seed the VM booted with last (a new one re-provisions it).
    public var instanceID: String?
    /// Image VMs: the loopback port forwarded to the guest's SSH, kept across restarts while it is free.
    public var sshPort: Int?
    /// The default guest's kernel it booted last, in words ("micro 6.1.192-vmctl-micro"); nil for its own kernel or image.
    public var guestKernel: String?
    /// Why the VM's last start ran without its cgroup (the host offers none vmctl can use); nil when confined.
    public var cgroupProblem: String?
    /// The running VMM's confinement (its uid, or why it runs unconfined), decided at its start; nil before vmctl confined VMs.
    public var confinement: Confinement?

    public init(name: String, stack: String, backend: BackendKind, backendReason: String, spec: VMSpec) {
        self.name = name
        self.stack = stack
        self.backend = backend
        self.backendReason = backendReason
        self.spec = spec
    }
}
