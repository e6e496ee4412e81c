import VMCtlModel

/// Counts what VMs holding resources use now, after the plan, and at the peak while its waves run, against the
/// stack's budget.
enum CapacityCheck {
    static func report(desired: Stack, observed: ObservedState, runsAfter: [String: Bool]) -> CapacityReport {
        var nowCPUs = 0.0, nowMemory = 0.0
        for vm in observed.vms.values where vm.state.holdsResources {
            nowCPUs += Double(vm.spec.cpus)
            nowMemory += Double(vm.spec.memory.bytes)
        }
        for (cpus, memory) in runningDamaged(desired: desired, observed: observed).values {
            nowCPUs += cpus
            nowMemory += memory
        }
        var afterCPUs = 0.0, afterMemory = 0.0
        for instance in desired.instances where runsAfter[instance.name] == true {
            afterCPUs += Double(instance.spec.cpus)
            afterMemory += Double(instance.spec.memory.bytes)
        }
        // VMs kept outside the manifest keep running and keep their share.
        let desiredNames = Set(desired.instances.map(\.name))
        for (name, vm) in observed.vms where !desiredNames.contains(name) && runsAfter[name] == true {
            afterCPUs += Double(vm.spec.cpus)
            afterMemory += Double(vm.spec.memory.bytes)
        }
        return CapacityReport(
            vcpus: CapacityUse(now: nowCPUs, after: afterCPUs, limit: desired.host.vcpuLimit),
            memory: CapacityUse(now: nowMemory, after: afterMemory, limit: Double(desired.host.memoryLimit)))
    }

    /// Walks the waves: inside a wave changes run in parallel, so each counts at the larger of its VM's use
    /// before and after; between waves every VM of the wave has its new use.
    static func withPeak(_ report: CapacityReport, changes: [Change], desired: Stack, observed: ObservedState,
                         runsAfter: [String: Bool]) -> CapacityReport {
        let wanted = Dictionary(desired.instances.map { ($0.name, $0.spec) }, uniquingKeysWith: { a, _ in a })
        func use(before name: String) -> (Double, Double) {
            guard let vm = observed.vms[name], vm.state.holdsResources else { return (0, 0) }
            return (Double(vm.spec.cpus), Double(vm.spec.memory.bytes))
        }
        func use(after name: String) -> (Double, Double) {
            guard runsAfter[name] == true, let spec = wanted[name] ?? observed.vms[name]?.spec else { return (0, 0) }
            return (Double(spec.cpus), Double(spec.memory.bytes))
        }
        var current: [String: (Double, Double)] = runningDamaged(desired: desired, observed: observed)
        for name in observed.vms.keys { current[name] = use(before: name) }
        func total(_ values: [String: (Double, Double)]) -> (Double, Double) {
            values.values.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
        }
        var peak = total(current)
        for wave in Set(changes.map(\.wave)).sorted() where wave > 0 {
            var during = current
            for change in changes where change.wave == wave && change.address.kind == .vm {
                let name = change.address.name
                let before = current[name] ?? (0, 0), after = use(after: name)
                during[name] = (max(before.0, after.0), max(before.1, after.1))
                current[name] = after
            }
            let sum = total(during)
            peak = (max(peak.0, sum.0), max(peak.1, sum.1))
        }
        var report = report
        report.vcpus.peak = max(peak.0, report.vcpus.now, report.vcpus.after)
        report.memory.peak = max(peak.1, report.memory.now, report.memory.after)
        return report
    }

    /// VMs whose state file cannot be read and whose VMM still runs, at the manifest's size (their own is unknown);
    /// one the manifest lacks cannot be counted.
    static func runningDamaged(desired: Stack, observed: ObservedState) -> [String: (Double, Double)] {
        var use: [String: (Double, Double)] = [:]
        for instance in desired.instances where observed.damagedVMs[instance.name]?.pid != nil {
            use[instance.name] = (Double(instance.spec.cpus), Double(instance.spec.memory.bytes))
        }
        return use
    }

    /// Refuses a plan that would raise usage above the limit, at its end or at its peak while it runs. A plan that lowers usage is allowed even when
    /// the host is still over budget afterwards, so a lowered budget can be reached step by step.
    /// `keptRunning` names VMs outside the manifest that keep running and count against the budget.
    static func refusals(_ report: CapacityReport, keptRunning: [String] = []) -> [Refusal] {
        var refusals: [Refusal] = []
        // Without this the user would hunt the manifest for usage that is not in it.
        let one = keptRunning.count == 1
        let kept = keptRunning.isEmpty ? ""
            : "\(keptRunning.map { "vm.\($0)" }.joined(separator: ", ")) \(one ? "is" : "are") not in the manifest but "
            + "\(one ? "keeps running and counts" : "keep running and count"): --prune deletes \(one ? "it" : "them"); or "
        let cpus = report.vcpus
        if cpus.after > cpus.limit, cpus.after > cpus.now {
            refusals.append(Refusal(address: nil,
                message: "the stack would run \(whole(cpus.after)) vCPUs but may use \(whole(cpus.limit)) (now \(whole(cpus.now)))",
                hint: kept + "lower cpus or replicas, stop VMs with runStrategy: Halted, or raise host.cpus or host.overcommit.cpu"))
        }
        let memory = report.memory
        if memory.after > memory.limit, memory.after > memory.now {
            refusals.append(Refusal(address: nil,
                message: "the stack would use \(bytes(memory.after)) of memory but may use \(bytes(memory.limit)) (now \(bytes(memory.now)))",
                hint: kept + "lower memory or replicas, stop VMs with runStrategy: Halted, or raise host.memory or host.overcommit.memory"))
        }
        // The end state fits, but the waves would pass through more than both now and the limit.
        if cpus.after <= cpus.limit || cpus.after <= cpus.now, cpus.peak > cpus.limit, cpus.peak > cpus.now {
            refusals.append(Refusal(address: nil,
                message: "while the plan runs, the stack would briefly run \(whole(cpus.peak)) vCPUs but may use \(whole(cpus.limit)) (now \(whole(cpus.now)), after \(whole(cpus.after)))",
                hint: "apply in two steps (first the changes that lower usage), or raise host.cpus or host.overcommit.cpu"))
        }
        if memory.after <= memory.limit || memory.after <= memory.now, memory.peak > memory.limit, memory.peak > memory.now {
            refusals.append(Refusal(address: nil,
                message: "while the plan runs, the stack would briefly use \(bytes(memory.peak)) of memory but may use \(bytes(memory.limit)) (now \(bytes(memory.now)), after \(bytes(memory.after)))",
                hint: "apply in two steps (first the changes that lower usage), or raise host.memory or host.overcommit.memory"))
        }
        return refusals
    }

    private static func whole(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))" : "\(value)"
    }

    private static func bytes(_ value: Double) -> String { ByteSize(bytes: UInt64(max(0, value))).approximate }
}
