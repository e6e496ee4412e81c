import VMCtlModel

/// Sum of vCPUs and memory over all VM instances against what the stack may use on the host.
extension StackAssembler {
    /// `cpus` and `memory` say which dimensions have a known budget: stated in the manifest, or from the host's facts.
    func checkCapacity(vms: [String: StackParts.Declared<VMSpec>], budget: HostBudget, host draft: StackParts.HostDraft?, at place: Place,
                       cpus checkCPUs: Bool, memory checkMemory: Bool) {
        // A VM with a field error holds a default in that field: leave it out of the totals and say so.
        let specs = vms.values.filter(\.complete).compactMap { $0.spec?.value }.filter { ($0.replicas ?? 1) > 0 }
        let uncounted = vms.values.filter { !$0.complete || $0.spec == nil }.map(\.name.value).sorted()
        let note = uncounted.isEmpty ? "" : " (not counting \(uncounted.joined(separator: ", ")), whose fields have errors)"
        let vcpus = specs.reduce(0) { $0 + $1.cpus * ($1.replicas ?? 1) }
        let memory = specs.reduce(UInt64(0)) { $0 + $1.memory.bytes * UInt64($1.replicas ?? 1) }
        if checkCPUs, Double(vcpus) > budget.vcpuLimit {
            let breakdown = Self.breakdown(specs, amount: { UInt64($0.cpus) }, show: { "\($0)" })
            let cpus = "host.cpus \(budget.cpus)\(draft?.cpus == nil ? " (all CPUs of this host)" : "")"
            sink.error(place, "the VMs need \(vcpus) vCPUs, more than the host offers: \(Self.number(budget.vcpuLimit)) (\(cpus) × overcommit.cpu \(Self.factor(budget.cpuOvercommit)))",
                       hint: "\(breakdown)\(note); lower cpus or replicas, or raise host.cpus or host.overcommit.cpu")
        }
        if checkMemory, memory > budget.memoryLimit {
            let breakdown = Self.breakdown(specs, amount: \.memory.bytes, show: { ByteSize(bytes: $0).approximate })
            let offered = "host.memory \(budget.memory.approximate)\(draft?.memory == nil ? " (80% of this host's RAM)" : "")"
            sink.error(place, "the VMs need \(ByteSize(bytes: memory).approximate) of memory, more than the host offers: \(ByteSize(bytes: budget.memoryLimit).approximate) (\(offered) × overcommit.memory \(Self.factor(budget.memoryOvercommit)))",
                       hint: "\(breakdown)\(note); lower memory or replicas, or raise host.memory or host.overcommit.memory")
        }
    }

    /// "web: 3 × 2GiB = 6GiB, db: 1 × 4GiB = 4GiB", largest first; at most five VMs are named.
    static func breakdown(_ specs: [VMSpec], amount: (VMSpec) -> UInt64, show: (UInt64) -> String) -> String {
        let rows = specs.map { (name: $0.name, count: UInt64($0.replicas ?? 1), each: amount($0)) }
            .sorted { ($0.count * $0.each, $1.name) > ($1.count * $1.each, $0.name) }
        var parts = rows.prefix(5).map { "\($0.name): \($0.count) × \(show($0.each)) = \(show($0.count * $0.each))" }
        if rows.count > 5 { parts.append("\(rows.count - 5) more") }
        return parts.joined(separator: ", ")
    }

    /// Overcommit factors keep one decimal, as written in the docs: 1.0, 4.0, 1.5.
    static func factor(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? "\(Int(value)).0" : "\(value)"
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
    }
}
