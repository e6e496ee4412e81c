/// The result of `stats`.
public struct VMStats: Codable, Equatable, Sendable {
    public var vcpus: [VCPU]
    /// Exits of all vCPUs by reason, keyed by the reason's name (`io`, `mmio`, `hlt`, `shutdown`, …).
    public var exitsByReason: [String: Int]
    /// Port I/O accesses no device claimed (answered at once, reads as zeros).
    public var unknownPortIO: Int
    /// Resident memory of the VMM process (guest RAM the guest touched included), from /proc/self/statm.
    public var residentBytes: Int

    public init(vcpus: [VCPU], exitsByReason: [String: Int], unknownPortIO: Int, residentBytes: Int) {
        self.vcpus = vcpus
        self.exitsByReason = exitsByReason
        self.unknownPortIO = unknownPortIO
        self.residentBytes = residentBytes
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
