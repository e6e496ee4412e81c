// Lenient decoding for state files and fixtures: a missing field takes the same default as in a manifest.
// Encoding stays synthesized, so everything vmctl writes has every field.

extension VMSpec {
    enum CodingKeys: String, CodingKey {
        case name, replicas, cpus, memory, backend, kernel, networks, disks, dependsOn, runStrategy, readiness, labels
        case image, firmware, cloudInit, ports, limits
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try c.decode(String.self, forKey: .name),
            replicas: try c.decodeIfPresent(Int.self, forKey: .replicas),
            cpus: try c.decodeIfPresent(Int.self, forKey: .cpus) ?? 1,
            memory: try c.decodeIfPresent(ByteSize.self, forKey: .memory) ?? Self.defaultMemory,
            backend: try c.decodeIfPresent(BackendChoice.self, forKey: .backend) ?? .auto,
            kernel: try c.decodeIfPresent(KernelSpec.self, forKey: .kernel),
            networks: try c.decodeIfPresent([NICSpec].self, forKey: .networks) ?? [],
            disks: try c.decodeIfPresent([DiskSpec].self, forKey: .disks) ?? [],
            dependsOn: try c.decodeIfPresent([String].self, forKey: .dependsOn) ?? [],
            runStrategy: try c.decodeIfPresent(RunStrategy.self, forKey: .runStrategy) ?? .always,
            readiness: try c.decodeIfPresent(ReadinessSpec.self, forKey: .readiness) ?? ReadinessSpec(),
            labels: try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:],
            image: try c.decodeIfPresent(ImageSpec.self, forKey: .image),
            firmware: try c.decodeIfPresent(Firmware.self, forKey: .firmware),
            cloudInit: try c.decodeIfPresent(CloudInitSpec.self, forKey: .cloudInit),
            ports: try c.decodeIfPresent([PortForward].self, forKey: .ports) ?? [],
            limits: try c.decodeIfPresent(VMLimits.self, forKey: .limits))
    }
}

extension NetworkSpec {
    enum CodingKeys: String, CodingKey { case subnet, mode, gateway, bridge }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            subnet: try c.decode(IPv4Subnet.self, forKey: .subnet),
            mode: try c.decodeIfPresent(NetworkMode.self, forKey: .mode) ?? .isolated,
            gateway: try c.decodeIfPresent(IPv4Address.self, forKey: .gateway),
            bridge: try c.decodeIfPresent(String.self, forKey: .bridge))
    }
}

extension VolumeSpec {
    enum CodingKeys: String, CodingKey { case size, source, format, filesystem }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            size: try c.decodeIfPresent(ByteSize.self, forKey: .size),
            source: try c.decodeIfPresent(String.self, forKey: .source),
            format: try c.decodeIfPresent(VolumeFormat.self, forKey: .format) ?? .raw,
            filesystem: try c.decodeIfPresent(VolumeFilesystem.self, forKey: .filesystem))
    }
}

extension DiskSpec {
    enum CodingKeys: String, CodingKey { case volume, readOnly, mountPoint }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            volume: try c.decode(String.self, forKey: .volume),
            readOnly: try c.decodeIfPresent(Bool.self, forKey: .readOnly) ?? false,
            mountPoint: try c.decodeIfPresent(String.self, forKey: .mountPoint))
    }
}

extension ReadinessSpec {
    /// Parses "90s"-style timeouts in state files; absent means the default.
    static func decodeTimeout(_ text: String?) -> Duration? {
        guard let text else { return defaultTimeout }
        guard case .success(let duration) = DurationParser.parse(text) else { return nil }
        return duration
    }
}
