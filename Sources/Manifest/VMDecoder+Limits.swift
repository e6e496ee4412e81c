import VMCtlModel

extension ValueDecoder {
    static let limitFields = ["cpuQuota", "memoryOverhead", "pids"]

    /// `limits: {cpuQuota, memoryOverhead, pids}`: the VM's cgroup. Each field is checked against the bounds a
    /// running QEMU needs, so a VM is never confined so tightly that it cannot boot.
    func limits(_ node: YAMLNode, _ path: String, owner: SourceLocation?, fields: inout [String: Place]) -> VMLimits? {
        guard let reader = MappingReader(node, path: path, what: path, allowed: Self.limitFields, sink: sink, owner: owner) else { return nil }
        var limits = VMLimits()
        if let (node, path) = reader.value("cpuQuota"), let quota = cpuQuota(node, path) {
            fields["limits.cpuQuota"] = quota.place
            limits.cpuQuotaPercent = quota.value
        }
        if let (node, path) = reader.value("memoryOverhead"), let overhead = size(node, path) {
            fields["limits.memoryOverhead"] = overhead.place
            if overhead.value < VMLimits.minimumMemoryOverhead {
                sink.error(overhead.place, "\(path): \(overhead.value) is below the minimum of \(VMLimits.minimumMemoryOverhead)",
                           hint: "QEMU's own memory beside guest RAM is tens of MiB; the default \(VMLimits.defaultMemoryOverhead) leaves room for I/O and the page cache")
            } else {
                limits.memoryOverhead = overhead.value
            }
        }
        if let (node, path) = reader.value("pids"), let pids = int(node, path, range: VMLimits.minimumPids...VMLimits.maximumPids) {
            fields["limits.pids"] = pids.place
            limits.pids = pids.value
        }
        return limits
    }

    /// "150%" (of one core) or a number of cores (1.5); both mean the same.
    private func cpuQuota(_ node: YAMLNode, _ path: String) -> Located<Double>? {
        guard let (text, _) = scalar(node, path, expected: "a CPU quota such as 150% or 1.5") else { return nil }
        let here = place(node, path)
        let isPercent = text.hasSuffix("%")
        let number = isPercent ? String(text.dropLast()) : text
        guard let value = Double(number), value.isFinite, number.first?.isNumber == true else {
            sink.error(here, "\(path) must be a percentage of one core such as 150% or a number of cores such as 1.5, found \"\(text.truncatedForMessage)\"")
            return nil
        }
        let percent = isPercent ? value : value * 100
        guard (VMLimits.minimumCPUQuotaPercent...VMLimits.maximumCPUQuotaPercent).contains(percent) else {
            sink.error(here, "\(path) must be between \(VMLimits.formatPercent(VMLimits.minimumCPUQuotaPercent)) and \(VMLimits.formatPercent(VMLimits.maximumCPUQuotaPercent)) of one core, found \(text)",
                       hint: "1% is the kernel's smallest quota (1 ms per 100 ms); omit cpuQuota for no limit")
            return nil
        }
        return Located(value: percent, place: here)
    }
}
