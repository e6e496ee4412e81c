/// What really exists on the host for one stack, as the runtime read it. The planner diffs a `Stack` against it.
public struct ObservedState: Hashable, Sendable, Codable {
    public var stack: String
    /// Keyed by VM (instance) name, e.g. `web-0`.
    public var vms: [String: ObservedVM]
    public var networks: [String: ObservedNetwork]
    public var volumes: [String: ObservedVolume]

    public init(stack: String, vms: [String: ObservedVM] = [:], networks: [String: ObservedNetwork] = [:],
                volumes: [String: ObservedVolume] = [:]) {
        self.stack = stack
        self.vms = vms
        self.networks = networks
        self.volumes = volumes
    }

    public static func empty(_ stack: String) -> ObservedState { ObservedState(stack: stack) }

    enum CodingKeys: String, CodingKey { case stack, vms, networks, volumes }

    // Sections may be omitted in state files and fixtures; absent means none.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stack = try c.decode(String.self, forKey: .stack)
        vms = try c.decodeIfPresent([String: ObservedVM].self, forKey: .vms) ?? [:]
        networks = try c.decodeIfPresent([String: ObservedNetwork].self, forKey: .networks) ?? [:]
        volumes = try c.decodeIfPresent([String: ObservedVolume].self, forKey: .volumes) ?? [:]
    }
}

/// The power state of a VM, read live from its VMM process and control socket.
public enum PowerState: String, Hashable, Sendable, Codable, CaseIterable {
    /// The VMM was started and the guest is not ready yet.
    case starting
    case running
    case paused
    /// Stopped cleanly (by vmctl, or the guest powered off); no process.
    case stopped
    /// The VMM process died unexpectedly (exit status or signal recorded).
    case crashed
    /// The VMM is alive but the guest is dead (kernel panic, triple fault); a reset brings it back.
    case panicked

    /// Whether the VM holds CPUs and memory on the host.
    public var holdsResources: Bool {
        switch self {
        case .starting, .running, .paused, .panicked: return true
        case .stopped, .crashed: return false
        }
    }
}

public enum BackendKind: String, Hashable, Sendable, Codable, CaseIterable {
    case kvm
    case qemu
}

public struct ObservedVM: Hashable, Sendable, Codable {
    public var name: String
    /// The spec this VM was last applied with (its definition, as written then).
    public var spec: VMSpec
    public var state: PowerState
    public var backend: BackendKind
    public var exitStatus: Int?
    public var signal: Int?

    public init(name: String, spec: VMSpec, state: PowerState, backend: BackendKind, exitStatus: Int? = nil, signal: Int? = nil) {
        self.name = name
        self.spec = spec
        self.state = state
        self.backend = backend
        self.exitStatus = exitStatus
        self.signal = signal
    }

    /// The `vms` entry this VM came from (`web` for `web-1`).
    public var definition: String { spec.name }
}

public struct ObservedNetwork: Hashable, Sendable, Codable {
    public var name: String
    public var spec: NetworkSpec
    /// Whether the network's switch process runs (isolated networks); nil when the mode has no process.
    public var running: Bool?

    public init(name: String, spec: NetworkSpec, running: Bool? = nil) {
        self.name = name
        self.spec = spec
        self.running = running
    }
}

public struct ObservedVolume: Hashable, Sendable, Codable {
    public var name: String
    /// The spec it was created with.
    public var spec: VolumeSpec
    /// Its size on disk now (may differ from the spec after an import).
    public var size: ByteSize

    public init(name: String, spec: VolumeSpec, size: ByteSize) {
        self.name = name
        self.spec = spec
        self.size = size
    }
}
