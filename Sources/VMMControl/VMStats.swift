/// The result of `stats`.
public struct VMStats: Codable, Equatable, Sendable {
    public var vcpus: [VCPU]
    /// Exits of all vCPUs by reason, keyed by the reason's name (`io`, `mmio`, `hlt`, `shutdown`, …).
    public var exitsByReason: [String: Int]
    /// Port I/O accesses no device claimed (answered at once, reads as zeros).
    public var unknownPortIO: Int
    /// Resident memory of the VMM process (guest RAM the guest touched included), from /proc/self/statm.
    public var residentBytes: Int
    /// One entry per NIC, in launch-spec order. Empty for a VM without NICs, and for a result from an older
    /// VMM that did not send `nets`.
    public var nets: [Net]
    /// Instructions KVM could not emulate that the VMM completed itself (`int3`, `fwait`; docs/vmm.md), by name. Empty
    /// when there were none, and for a result from an older VMM.
    public var emulated: [String: Int]

    public init(vcpus: [VCPU], exitsByReason: [String: Int], unknownPortIO: Int, residentBytes: Int, nets: [Net] = [],
                emulated: [String: Int] = [:]) {
        self.vcpus = vcpus
        self.exitsByReason = exitsByReason
        self.unknownPortIO = unknownPortIO
        self.residentBytes = residentBytes
        self.nets = nets
        self.emulated = emulated
    }

    public struct VCPU: Codable, Equatable, Sendable {
        public var index: Int
        public var exits: Int

        public init(index: Int, exits: Int) {
            self.index = index
            self.exits = exits
        }
    }
}

extension VMStats {
    private enum CodingKeys: String, CodingKey {
        case vcpus, exitsByReason, unknownPortIO, residentBytes, nets, emulated
    }

    /// Written by hand only so that a missing `nets` (a VMM from before NIC counters) decodes as none; works with
    /// VMMControl's JSONValueDecoder and with Foundation's JSONDecoder (the runtime's).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        vcpus = try container.decode([VCPU].self, forKey: .vcpus)
        exitsByReason = try container.decode([String: Int].self, forKey: .exitsByReason)
        unknownPortIO = try container.decode(Int.self, forKey: .unknownPortIO)
        residentBytes = try container.decode(Int.self, forKey: .residentBytes)
        nets = try container.decodeIfPresent([Net].self, forKey: .nets) ?? []
        emulated = try container.decodeIfPresent([String: Int].self, forKey: .emulated) ?? [:]
    }

    /// `emulated` only when the VMM completed an instruction: a VM on hardware KVM answers as before.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(vcpus, forKey: .vcpus)
        try container.encode(exitsByReason, forKey: .exitsByReason)
        try container.encode(unknownPortIO, forKey: .unknownPortIO)
        try container.encode(residentBytes, forKey: .residentBytes)
        try container.encode(nets, forKey: .nets)
        if !emulated.isEmpty { try container.encode(emulated, forKey: .emulated) }
    }
}
