/// The limits of a VM's cgroup (`limits` in a manifest). A field left out takes its default; docs/manifest.md says why
/// each default is what it is.
public struct VMLimits: Hashable, Sendable, Codable {
    /// Memory beside guest RAM: QEMU's own heap, TCG's code cache, I/O buffers and the page cache its files use.
    public static let defaultMemoryOverhead = ByteSize.mib(256)
    /// Below this even an idle QEMU would be OOM-killed at start (its own RSS without guest RAM is tens of MiB).
    public static let minimumMemoryOverhead = ByteSize.mib(64)
    /// QEMU's threads: main loop, RCU, one per vCPU, and up to 64 I/O workers per disk queue.
    public static let defaultPids = 512
    /// QEMU aborts when it cannot create a thread; below this it would not survive a disk-heavy boot.
    public static let minimumPids = 64
    public static let maximumPids = 4_194_304
    /// One percent of a core is the kernel's smallest quota (1 ms per 100 ms period).
    public static let minimumCPUQuotaPercent = 1.0
    public static let maximumCPUQuotaPercent = Double(VMSpec.maxCPUs * 100)

    /// CPU time the VM may use, in percent of one core (150 = one and a half cores); nil: no quota.
    public var cpuQuotaPercent: Double?
    public var memoryOverhead: ByteSize?
    public var pids: Int?

    public init(cpuQuotaPercent: Double? = nil, memoryOverhead: ByteSize? = nil, pids: Int? = nil) {
        self.cpuQuotaPercent = cpuQuotaPercent
        self.memoryOverhead = memoryOverhead
        self.pids = pids
    }

    public var effectiveMemoryOverhead: ByteSize { memoryOverhead ?? Self.defaultMemoryOverhead }
    public var effectivePids: Int { pids ?? Self.defaultPids }

    /// "150%", as manifests write it.
    public static func formatPercent(_ percent: Double) -> String {
        percent == percent.rounded() ? "\(Int(percent))%" : "\(percent)%"
    }
}
