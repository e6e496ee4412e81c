public enum NetworkMode: String, Hashable, Sendable, Codable, CaseIterable {
    /// A userspace switch per network; no root needed; no host access.
    case isolated
    /// Like bridge, plus masquerading for outbound traffic.
    case nat
    /// Taps on a Linux bridge; the host reaches the VMs through the gateway address.
    case bridge
}

public struct NetworkSpec: Hashable, Sendable, Codable {
    public var subnet: IPv4Subnet
    public var mode: NetworkMode
    public var gateway: IPv4Address
    /// An existing Linux bridge to use (mode bridge only); nil means vmctl creates its own.
    public var bridge: String?

    public init(subnet: IPv4Subnet, mode: NetworkMode = .isolated, gateway: IPv4Address? = nil, bridge: String? = nil) {
        self.subnet = subnet
        self.mode = mode
        self.gateway = gateway ?? subnet.firstHost
        self.bridge = bridge
    }
}
