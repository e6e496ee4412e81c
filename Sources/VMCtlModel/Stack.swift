/// A validated stack: what the user wants to run. Produced by `Manifest`, consumed by the planner.
public struct Stack: Hashable, Sendable, Codable {
    public var name: String
    /// From a load without host facts (`vmctl validate`) a dimension the manifest leaves out is 0, meaning unknown:
    /// such a stack is never planned; plan and apply load with the target host's facts.
    public var host: HostBudget
    public var networks: [String: NetworkSpec]
    public var volumes: [String: VolumeSpec]
    /// VM definitions as written (before replicas are expanded), keyed by name.
    public var vms: [String: VMSpec]

    public init(name: String, host: HostBudget, networks: [String: NetworkSpec] = [:],
                volumes: [String: VolumeSpec] = [:], vms: [String: VMSpec] = [:]) {
        self.name = name
        self.host = host
        self.networks = networks
        self.volumes = volumes
        self.vms = vms
    }

    /// Every VM that will run, with replicas expanded, sorted by name.
    public var instances: [VMInstance] {
        vms.values.flatMap(\.instances).sorted { $0.name < $1.name }
    }
}

/// What the stack may use on the host. Missing fields are filled from the host's real size by the loader.
public struct HostBudget: Hashable, Sendable, Codable {
    public var cpus: Int
    public var memory: ByteSize
    public var cpuOvercommit: Double
    public var memoryOvercommit: Double

    public static let defaultCPUOvercommit = 4.0
    public static let defaultMemoryOvercommit = 1.0
    /// Without `host.memory`, a stack may use this share of the host's RAM.
    public static let defaultMemoryShare = 0.8

    public init(cpus: Int, memory: ByteSize, cpuOvercommit: Double = defaultCPUOvercommit,
                memoryOvercommit: Double = defaultMemoryOvercommit) {
        self.cpus = cpus
        self.memory = memory
        self.cpuOvercommit = cpuOvercommit
        self.memoryOvercommit = memoryOvercommit
    }

    /// The budget of a stack whose manifest has no `host`: every CPU, 80% of the RAM (whole MiB), default overcommit.
    public static func defaults(for host: HostFacts) -> HostBudget {
        let memory = UInt64(Double(host.memory.bytes) * defaultMemoryShare) / ByteSize.mib * ByteSize.mib
        return HostBudget(cpus: host.cpus, memory: ByteSize(bytes: memory))
    }

    public var vcpuLimit: Double { Double(cpus) * cpuOvercommit }
    /// Saturates at UInt64.max: overcommit has no upper bound, and UInt64(_:) traps on a Double out of range.
    public var memoryLimit: UInt64 {
        let limit = (Double(memory.bytes) * memoryOvercommit).rounded(.down)
        return limit < 0x1p64 ? UInt64(Swift.max(0, limit)) : .max
    }
}

/// The real size of the host, supplied by whoever calls the loader (the loader itself does no probing).
public struct HostFacts: Hashable, Sendable, Codable {
    public var cpus: Int
    public var memory: ByteSize

    public init(cpus: Int, memory: ByteSize) {
        self.cpus = cpus
        self.memory = memory
    }
}
