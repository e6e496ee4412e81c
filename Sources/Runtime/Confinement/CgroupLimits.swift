import VMCtlModel

/// The values written into a VM's cgroup, derived from its spec.
public struct CgroupLimits: Equatable, Sendable {
    /// The CFS period: quotas are microseconds of CPU per 100 ms, as the kernel's default period.
    public static let periodMicros = 100_000

    /// Guest RAM plus the overhead allowance.
    public var memoryMax: UInt64
    /// v2 `cpu.weight` (default 100 per vCPU, so a 4-vCPU VM weighs as four 1-vCPU VMs), 1…10000.
    public var cpuWeight: Int
    /// Microseconds per period; nil: no quota.
    public var cpuQuotaMicros: Int?
    public var pidsMax: Int

    public init(memoryMax: UInt64, cpuWeight: Int, cpuQuotaMicros: Int?, pidsMax: Int) {
        self.memoryMax = memoryMax
        self.cpuWeight = cpuWeight
        self.cpuQuotaMicros = cpuQuotaMicros
        self.pidsMax = pidsMax
    }

    /// `allowance`: what the backend needs beside the overhead (TCG's translation cache).
    public init(spec: VMSpec, allowance: ByteSize = ByteSize(bytes: 0)) {
        memoryMax = spec.memoryLimit.bytes + allowance.bytes
        cpuWeight = min(10_000, max(1, 100 * spec.cpus))
        cpuQuotaMicros = spec.effectiveLimits.cpuQuotaPercent.map { Int(($0 * Double(Self.periodMicros) / 100).rounded()) }
        pidsMax = spec.effectiveLimits.effectivePids
    }

    /// v1 `cpu.shares`: 1024 is one default share, as 100 is one default weight; 2…262144.
    public var cpuShares: Int { min(262_144, max(2, cpuWeight * 1024 / 100)) }
    /// v2 `cpu.max`: "QUOTA PERIOD" or "max PERIOD".
    public var cpuMax: String { "\(cpuQuotaMicros.map(String.init) ?? "max") \(Self.periodMicros)" }
}
