/// What really exists on the host for one stack, as the runtime read it. The planner diffs a `Stack` against it.
public struct ObservedState: Hashable, Sendable, Codable {
    public var stack: String
    /// Keyed by VM (instance) name, e.g. `web-0`.
    public var vms: [String: ObservedVM]
    public var networks: [String: ObservedNetwork]
    public var volumes: [String: ObservedVolume]
    /// VMs whose state file exists but cannot be read, by name. vmctl does not know their spec or power state, so
    /// plans leave them alone (only `vmctl destroy` removes them, after saying so).
    public var damagedVMs: [String: DamagedVM]

    public init(stack: String, vms: [String: ObservedVM] = [:], networks: [String: ObservedNetwork] = [:],
                volumes: [String: ObservedVolume] = [:], damagedVMs: [String: DamagedVM] = [:]) {
        self.stack = stack
        self.vms = vms
        self.networks = networks
        self.volumes = volumes
        self.damagedVMs = damagedVMs
    }

    public static func empty(_ stack: String) -> ObservedState { ObservedState(stack: stack) }

    enum CodingKeys: String, CodingKey { case stack, vms, networks, volumes, damagedVMs }

    // Sections may be omitted in state files and fixtures; absent means none.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stack = try c.decode(String.self, forKey: .stack)
        vms = try c.decodeIfPresent([String: ObservedVM].self, forKey: .vms) ?? [:]
        networks = try c.decodeIfPresent([String: ObservedNetwork].self, forKey: .networks) ?? [:]
        volumes = try c.decodeIfPresent([String: ObservedVolume].self, forKey: .volumes) ?? [:]
        damagedVMs = try c.decodeIfPresent([String: DamagedVM].self, forKey: .damagedVMs) ?? [:]
    }

    // `damagedVMs` only when there are some, so the fingerprint of a healthy stack is what it always was.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(stack, forKey: .stack)
        try c.encode(vms, forKey: .vms)
        try c.encode(networks, forKey: .networks)
        try c.encode(volumes, forKey: .volumes)
        if !damagedVMs.isEmpty { try c.encode(damagedVMs, forKey: .damagedVMs) }
    }
}

/// A VM whose state file (`vm.json`) exists but cannot be read: a disk error, a hand edit, a truncated copy.
public struct DamagedVM: Hashable, Sendable, Codable {
    public var name: String
    /// The file that cannot be read, and why, in words.
    public var file: String
    public var reason: String
    /// The VMM's pid when it still runs: found from the wrapper's pid file and checked (start time, command line).
    public var pid: Int32?

    public init(name: String, file: String, reason: String, pid: Int32? = nil) {
        self.name = name
        self.file = file
        self.reason = reason
        self.pid = pid
    }

    /// What the user can do, in one sentence (plan errors, status, stop).
    public func advice(stack: String) -> String {
        let stop = pid.map { "stop the VM (its VMM runs, pid \($0): vmctl stop --stack \(stack) \(name)), then " } ?? ""
        return "fix the file or restore it (vmctl leaves it untouched); or \(stop)move it aside (mv \(file) \(file).damaged) "
            + "and the next vmctl apply creates the VM anew; vmctl destroy --stack \(stack) removes it with the stack"
    }

    /// The VM's folder: the file's.
    public var folder: String {
        guard let slash = file.lastIndex(of: "/") else { return "." }
        return String(file[..<slash])
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
