import VMCtlModel

/// Counts what VMs holding resources use now and after the plan, against the stack's budget.
/// Teardown runs before bring-up (see `Waves`), so usage never peaks above max(now, after).
enum CapacityCheck {
    static func report(desired: Stack, observed: ObservedState, runsAfter: [String: Bool]) -> CapacityReport {
        var nowCPUs = 0.0, nowMemory = 0.0
        for vm in observed.vms.values where vm.state.holdsResources {
            nowCPUs += Double(vm.spec.cpus)
            nowMemory += Double(vm.spec.memory.bytes)
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

    /// Refuses a plan that would raise usage above the limit. A plan that lowers usage is allowed even when
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
        return refusals
    }

    private static func whole(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))" : "\(value)"
    }

    private static func bytes(_ value: Double) -> String { ByteSize(bytes: UInt64(max(0, value))).approximate }
}
