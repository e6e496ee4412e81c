/// What a VM's cgroup has used and may use, read live. Nil where the host does not keep the number
/// (v2 before Linux 5.19 has no memory.peak; v1 without cpuacct has no CPU time).
public struct CgroupUsage: Codable, Equatable, Sendable {
    public var cpuSeconds: Double?
    public var memoryBytes: UInt64?
    public var memoryPeakBytes: UInt64?
    /// nil: no limit.
    public var memoryLimitBytes: UInt64?
    public var pids: Int?
    public var pidsLimit: Int?
    /// Percent of one core; nil: no quota.
    public var cpuQuotaPercent: Double?
    /// Processes the kernel's OOM killer ended in it because it reached its memory limit.
    public var oomKills: Int?
}

extension VMCgroup {
    public func usage() -> CgroupUsage {
        func file(_ controller: String, _ name: String) -> String { (folders[controller] ?? "/nonexistent") + "/" + name }
        var usage = CgroupUsage()
        usage.pids = CgroupFiles.number(file("pids", "pids.current")).map { Int($0) }
        usage.pidsLimit = CgroupFiles.number(file("pids", "pids.max")).map { Int($0) }
        switch version {
        case .v2:
            usage.cpuSeconds = CgroupFiles.keyed(file("cpu", "cpu.stat"), "usage_usec").map { Double($0) / 1e6 }
            usage.memoryBytes = CgroupFiles.number(file("memory", "memory.current"))
            usage.memoryPeakBytes = CgroupFiles.number(file("memory", "memory.peak"))
            usage.memoryLimitBytes = CgroupFiles.number(file("memory", "memory.max"))
            usage.oomKills = CgroupFiles.keyed(file("memory", "memory.events"), "oom_kill").map { Int($0) }
            let max = (CgroupFiles.read(file("cpu", "cpu.max")) ?? "").split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            usage.cpuQuotaPercent = max.count == 2 && max[1] > 0 ? max[0] / max[1] * 100 : nil
        case .v1:
            usage.cpuSeconds = CgroupFiles.number(file("cpuacct", "cpuacct.usage")).map { Double($0) / 1e9 }
            usage.memoryBytes = CgroupFiles.number(file("memory", "memory.usage_in_bytes"))
            usage.memoryPeakBytes = CgroupFiles.number(file("memory", "memory.max_usage_in_bytes"))
            // v1 writes "no limit" as the largest page-aligned number.
            usage.memoryLimitBytes = CgroupFiles.number(file("memory", "memory.limit_in_bytes")).flatMap { $0 >= 1 << 62 ? nil : $0 }
            usage.oomKills = CgroupFiles.keyed(file("memory", "memory.oom_control"), "oom_kill").map { Int($0) }
            let quota = CgroupFiles.read(file("cpu", "cpu.cfs_quota_us")).flatMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            let period = CgroupFiles.number(file("cpu", "cpu.cfs_period_us"))
            if let quota, quota > 0, let period, period > 0 { usage.cpuQuotaPercent = Double(quota) / Double(period) * 100 }
        }
        return usage
    }
}
