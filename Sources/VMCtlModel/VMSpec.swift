public enum BackendChoice: String, Hashable, Sendable, Codable, CaseIterable {
    /// `kvm` where the host has hardware virtualization, else `qemu`.
    case auto
    case kvm
    case qemu
}

/// KubeVirt's power intent: what `apply` does with a VM's power state.
public enum RunStrategy: String, Hashable, Sendable, Codable, CaseIterable {
    case always = "Always"
    case halted = "Halted"
    case manual = "Manual"
    case rerunOnFailure = "RerunOnFailure"
}

public struct KernelSpec: Hashable, Sendable, Codable {
    public var image: String
    public var initrd: String?
    public var cmdline: String?

    public init(image: String, initrd: String? = nil, cmdline: String? = nil) {
        self.image = image
        self.initrd = initrd
        self.cmdline = cmdline
    }
}

public struct NICSpec: Hashable, Sendable, Codable {
    public var network: String
    public var ip: IPv4Address?
    public var mac: MACAddress?

    public init(network: String, ip: IPv4Address? = nil, mac: MACAddress? = nil) {
        self.network = network
        self.ip = ip
        self.mac = mac
    }
}

public struct DiskSpec: Hashable, Sendable, Codable {
    public var volume: String
    public var readOnly: Bool
    public var mountPoint: String?

    public init(volume: String, readOnly: Bool = false, mountPoint: String? = nil) {
        self.volume = volume
        self.readOnly = readOnly
        self.mountPoint = mountPoint
    }
}

public struct ReadinessSpec: Hashable, Sendable, Codable {
    public static let defaultTimeout: Duration = .seconds(120)
    /// Image VMs boot a whole distribution and run cloud-init: minutes under TCG emulation.
    public static let defaultImageTimeout: Duration = .seconds(600)

    public var consoleMarker: String?
    public var timeout: Duration

    public init(consoleMarker: String? = nil, timeout: Duration = defaultTimeout) {
        self.consoleMarker = consoleMarker
        self.timeout = timeout
    }

    enum CodingKeys: String, CodingKey { case consoleMarker, timeout }

    // The timeout is written as in manifests ("1m30s"), not as Duration's internal pair.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        consoleMarker = try container.decodeIfPresent(String.self, forKey: .consoleMarker)
        let text = try container.decodeIfPresent(String.self, forKey: .timeout)
        guard let timeout = Self.decodeTimeout(text) else {
            throw DecodingError.dataCorruptedError(forKey: .timeout, in: container, debugDescription: "not a duration: \(text ?? "")")
        }
        self.timeout = timeout
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(consoleMarker, forKey: .consoleMarker)
        try container.encode(DurationParser.format(timeout), forKey: .timeout)
    }
}

/// One entry of `vms`: a VM definition, which `replicas` may turn into several VMs.
public struct VMSpec: Hashable, Sendable, Codable {
    public static let defaultMemory = ByteSize.mib(256)
    public static let minimumMemory = ByteSize.mib(16)
    public static let maxCPUs = 255
    public static let maxKVMCPUs = 8
    public static let maxReplicas = 1000

    public var name: String
    /// nil: one VM named `name`; n: VMs `name-0` … `name-(n-1)`.
    public var replicas: Int?
    public var cpus: Int
    public var memory: ByteSize
    public var backend: BackendChoice
    /// nil: vmctl's built-in default guest (or, with `image`, the image's own bootloader).
    public var kernel: KernelSpec?
    /// A cloud image; the VM's root disk is a copy-on-write overlay of it.
    public var image: ImageSpec?
    /// How an image VM boots; nil: UEFI.
    public var firmware: Firmware?
    public var cloudInit: CloudInitSpec?
    public var ports: [PortForward]
    public var networks: [NICSpec]
    public var disks: [DiskSpec]
    public var dependsOn: [String]
    public var runStrategy: RunStrategy
    public var readiness: ReadinessSpec
    public var labels: [String: String]
    /// The VM's cgroup: CPU quota, memory beside guest RAM, threads. nil: every default (and nothing in JSON).
    public var limits: VMLimits?

    public init(name: String, replicas: Int? = nil, cpus: Int = 1, memory: ByteSize = defaultMemory,
                backend: BackendChoice = .auto, kernel: KernelSpec? = nil, networks: [NICSpec] = [],
                disks: [DiskSpec] = [], dependsOn: [String] = [], runStrategy: RunStrategy = .always,
                readiness: ReadinessSpec = ReadinessSpec(), labels: [String: String] = [:],
                image: ImageSpec? = nil, firmware: Firmware? = nil, cloudInit: CloudInitSpec? = nil, ports: [PortForward] = [],
                limits: VMLimits? = nil) {
        self.name = name
        self.replicas = replicas
        self.cpus = cpus
        self.memory = memory
        self.backend = backend
        self.kernel = kernel
        self.networks = networks
        self.disks = disks
        self.dependsOn = dependsOn
        self.runStrategy = runStrategy
        self.readiness = readiness
        self.labels = labels
        self.image = image
        self.firmware = firmware
        self.cloudInit = cloudInit
        self.ports = ports
        self.limits = limits
    }

    /// The firmware an image VM boots with.
    public var effectiveFirmware: Firmware { firmware ?? .uefi }

    /// The VMM's memory limit: guest RAM plus the overhead allowance.
    public var memoryLimit: ByteSize { ByteSize(bytes: memory.bytes + effectiveLimits.effectiveMemoryOverhead.bytes) }

    public var effectiveLimits: VMLimits { limits ?? VMLimits() }

    public static func instanceNames(of name: String, replicas: Int?) -> [String] {
        guard let replicas else { return [name] }
        return (0..<max(0, replicas)).map { "\(name)-\($0)" }
    }

    public var instanceNames: [String] { Self.instanceNames(of: name, replicas: replicas) }

    public var instances: [VMInstance] {
        instanceNames.enumerated().map { VMInstance(name: $1, definition: name, ordinal: replicas == nil ? nil : $0, spec: self) }
    }
}

/// One VM that will run: a definition plus, for replicas, its ordinal.
public struct VMInstance: Hashable, Sendable {
    public var name: String
    public var definition: String
    public var ordinal: Int?
    public var spec: VMSpec
}
