import VMCtlModel

/// Diffs the desired stack against the observed state into an ordered, explained plan. Pure: no I/O.
public enum Planner {
    public static func plan(desired: Stack, observed: ObservedState, options: PlanOptions = PlanOptions()) -> Plan {
        var builder = PlanBuilder(desired: desired, observed: observed, options: options)
        builder.planNetworks()
        builder.planVolumes()
        builder.planVMs()
        return builder.finish()
    }

    /// What `vmctl destroy` does to a stack: every VM and network removed, volumes only with `deleteVolumes`, in the
    /// same order as a prune; the reasons say that destroy removes them. `host` is the budget the stack was applied
    /// with, so the capacity line compares against the same limits as apply did.
    public static func destroy(stack: String, host: HostBudget, observed: ObservedState, deleteVolumes: Bool) -> Plan {
        let empty = Stack(name: stack, host: host)
        var builder = PlanBuilder(desired: empty, observed: observed, options: PlanOptions(prune: true, pruneVolumes: deleteVolumes))
        builder.destroying = true
        builder.planNetworks()
        builder.planVolumes()
        builder.planVMs()
        return builder.finish()
    }
}

/// Accumulates changes for one plan; each `plan…` step handles one kind of resource.
struct PlanBuilder {
    let desired: Stack
    let observed: ObservedState
    let options: PlanOptions
    /// `vmctl destroy`: everything goes because the stack is destroyed, not because the manifest lacks it.
    var destroying = false
    var changes: [Change] = []
    var kept: [KeptResource] = []
    var refusals: [Refusal] = []
    var blocked: [BlockedResource] = []
    var replacedNetworks: Set<String> = []
    var grownVolumes: Set<String> = []
    /// Instance name → whether it runs once the plan is applied.
    var runsAfter: [String: Bool] = [:]

    let instanceNames: Set<String>

    init(desired: Stack, observed: ObservedState, options: PlanOptions) {
        self.instanceNames = Set(desired.instances.map(\.name))
        self.desired = desired
        self.observed = observed
        self.options = options
    }

    mutating func planNetworks() {
        for (name, spec) in desired.networks.sorted(by: { $0.key < $1.key }) {
            let address = ResourceAddress(.network, name)
            guard let current = observed.networks[name] else {
                changes.append(Change(address: address, action: .create, impact: .none,
                                      reasons: ["new \(spec.mode.rawValue) network \(spec.subnet)"]))
                continue
            }
            let diffs = NetworkDiff.diffs(from: current.spec, to: spec)
            if diffs.isEmpty, current.running == false {
                // The switch process died: VMs attached to it lost their link and must reconnect.
                replacedNetworks.insert(name)
                changes.append(Change(address: address, action: .replace, impact: .recreate,
                                      reasons: ["its switch process is not running: the network is restarted, and running VMs attached to it restart"]))
            } else if diffs.isEmpty {
                changes.append(Change(address: address, action: .noop, impact: .none, reasons: ["matches the manifest"]))
            } else {
                replacedNetworks.insert(name)
                changes.append(Change(address: address, action: .replace, impact: .recreate,
                                      reasons: ["\(diffs.map(\.field).joined(separator: ", ")) cannot change in place: the network is replaced, and running VMs attached to it restart"],
                                      diffs: diffs))
            }
        }
        for name in observed.networks.keys.sorted() where desired.networks[name] == nil {
            let address = ResourceAddress(.network, name)
            if options.prune {
                let reason = destroying ? "vmctl destroy removes it" : "not in the manifest; --prune deletes it"
                changes.append(Change(address: address, action: .delete, impact: .destroy, reasons: [reason]))
            } else {
                kept.append(KeptResource(address: address, reason: "not in the manifest, kept (--prune deletes it)"))
            }
        }
    }

    mutating func planVolumes() {
        for (name, spec) in desired.volumes.sorted(by: { $0.key < $1.key }) {
            let address = ResourceAddress(.volume, name)
            guard let current = observed.volumes[name] else {
                let what = spec.source.map { "imported from \($0)" + (spec.size.map { ", grown to \($0)" } ?? "") }
                    ?? "\(spec.size?.description ?? "?")" + (spec.filesystem.map { ", formatted \($0.rawValue)" } ?? "")
                changes.append(Change(address: address, action: .create, impact: .none, reasons: ["new volume, \(what)"]))
                continue
            }
            if let refusal = VolumeRules.refusal(name: name, current: current, desired: spec) {
                refusals.append(refusal)
                changes.append(Change(address: address, action: .noop, impact: .none, reasons: ["refused: \(refusal.message)"]))
                continue
            }
            if let size = spec.size, size > current.size {
                grownVolumes.insert(name)
                changes.append(Change(address: address, action: .update, impact: .restart,
                                      reasons: ["size \(current.size) → \(size): the image grows; running VMs that use it restart to see it"],
                                      diffs: [FieldDiff(field: "size", before: current.size.description, after: size.description, impact: .restart)]))
            } else {
                changes.append(Change(address: address, action: .noop, impact: .none, reasons: ["matches the manifest"]))
            }
        }
        for name in observed.volumes.keys.sorted() where desired.volumes[name] == nil {
            let address = ResourceAddress(.volume, name)
            let users = observed.vms.filter { isKept($0.key, $0.value) && $0.value.spec.disks.contains { $0.volume == name } }
            let unknown = destroying ? [] : observed.damagedVMs.keys.sorted()
            if options.pruneVolumes, !unknown.isEmpty {
                // A VM whose record cannot be read may have this volume attached: deleting it could lose data in use.
                let names = unknown.map { "vm.\($0)" }.joined(separator: ", ")
                kept.append(KeptResource(address: address, reason: "not in the manifest, but the state file of \(names) cannot be read, so vmctl cannot tell whether \(unknown.count == 1 ? "it uses" : "they use") this volume; kept with its data"))
            } else if options.pruneVolumes, !users.isEmpty {
                // Deleting a disk under a VM that keeps running would lose data the user did not ask to lose.
                let names = users.keys.sorted().map { "vm.\($0)" }.joined(separator: ", ")
                kept.append(KeptResource(address: address, reason: "not in the manifest, but still used by \(names), which --prune would delete; kept with its data"))
            } else if options.pruneVolumes {
                let reason = destroying ? "vmctl destroy --volumes deletes it and its data" : "not in the manifest; --prune-volumes deletes it and its data"
                changes.append(Change(address: address, action: .delete, impact: .dataLoss, reasons: [reason]))
            } else {
                let reason = destroying ? "kept with its data (vmctl destroy --volumes deletes it)" : "not in the manifest, kept with its data (--prune-volumes deletes it)"
                kept.append(KeptResource(address: address, reason: reason))
            }
        }
    }

    mutating func planVMs() {
        let instances = desired.instances
        let wanted = Set(instances.map(\.name))
        for instance in instances {
            if let damaged = observed.damagedVMs[instance.name] {
                block(damaged)
                // Still running untouched: it counts against the budget, at the manifest's size (its own is unknown).
                runsAfter[instance.name] = damaged.pid != nil
                continue
            }
            changes.append(vmChange(instance, current: observed.vms[instance.name]))
        }
        noteBlockedDependencies(instances)
        for (name, damaged) in observed.damagedVMs.sorted(by: { $0.key < $1.key }) where !wanted.contains(name) {
            if destroying {
                let process = damaged.pid.map { "ends its VMM (pid \($0), found by its pid file) and " } ?? ""
                changes.append(Change(address: ResourceAddress(.vm, name), action: .delete, impact: .destroy,
                                      reasons: ["cannot read its state file \(damaged.file): \(damaged.reason)",
                                                "vmctl destroy \(process)removes its folder \(damaged.folder) with everything in it, that file included"]))
            } else if options.prune {
                block(damaged)
            } else {
                kept.append(KeptResource(address: ResourceAddress(.vm, name),
                                         reason: "not in the manifest, kept; cannot read its state file \(damaged.file): \(damaged.reason)"))
            }
        }
        for (name, vm) in observed.vms.sorted(by: { $0.key < $1.key }) where !wanted.contains(name) {
            let address = ResourceAddress(.vm, name)
            if let definition = desired.vms[vm.definition], vm.spec.replicas != nil || definition.replicas != nil {
                changes.append(Change(address: address, action: .delete, impact: .destroy,
                                      reasons: [replicaRemoval(vm, now: definition)]))
            } else if destroying {
                let volumes = options.pruneVolumes ? "" : "; its volumes are kept"
                changes.append(Change(address: address, action: .delete, impact: .destroy,
                                      reasons: ["vmctl destroy removes it and its files (an image VM's root disk too)\(volumes)"]))
            } else if options.prune {
                changes.append(Change(address: address, action: .delete, impact: .destroy,
                                      reasons: ["not in the manifest; --prune deletes it (its volumes are kept)"]))
            } else {
                kept.append(KeptResource(address: address, reason: "not in the manifest, kept (--prune deletes it)"))
                runsAfter[name] = vm.state.holdsResources
            }
        }
    }

    /// Apply skips the changes of VMs that depend on a VM it cannot touch, as after a failure: say so in the plan.
    private mutating func noteBlockedDependencies(_ instances: [VMInstance]) {
        let blockedNames = Set(blocked.map(\.address.name))
        guard !blockedNames.isEmpty else { return }
        let byName = Dictionary(instances.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for index in changes.indices where changes[index].address.kind == .vm && changes[index].action != .noop {
            guard let instance = byName[changes[index].address.name] else { continue }
            let waits = instances.filter { blockedNames.contains($0.name) && instance.spec.dependsOn.contains($0.definition) }.map { "vm.\($0.name)" }
            guard !waits.isEmpty else { continue }
            changes[index].reasons.append("depends on \(waits.joined(separator: ", ")), whose state file cannot be read: apply skips this change")
        }
    }

    /// A VM whose state file cannot be read: vmctl knows neither its spec nor its power state, so it is left alone.
    private mutating func block(_ damaged: DamagedVM) {
        let address = ResourceAddress(.vm, damaged.name)
        let message = "not touched: cannot read its state file \(damaged.file): \(damaged.reason)"
        kept.append(KeptResource(address: address, reason: message))
        blocked.append(BlockedResource(address: address, message: message, hint: damaged.advice(stack: desired.name)))
    }

    /// Why an instance of a definition still in the manifest goes: fewer replicas, or instances renamed.
    private func replicaRemoval(_ vm: ObservedVM, now definition: VMSpec) -> String {
        let before = vm.spec.replicas.map(String.init) ?? "none"
        let after = definition.replicas.map(String.init) ?? "none"
        let change = "replicas of '\(vm.definition)' \(before) → \(after)"
        guard vm.spec.replicas == nil || definition.replicas == nil else { return "\(change): this replica is removed" }
        let names = definition.instanceNames
        let shown = names.count > 3 ? "\(names[0]) … \(names[names.count - 1])" : names.joined(separator: ", ")
        let renamed = names.isEmpty ? "it has no instances now" : "its VMs are now named \(shown)"
        return "\(change): \(renamed), so \(vm.name) is deleted (its volumes are kept)"
    }

    /// Observed VMs outside the manifest that stay because --prune was not given.
    func isKept(_ name: String, _ vm: ObservedVM) -> Bool {
        guard !options.prune, !instanceNames.contains(name) else { return false }
        guard let definition = desired.vms[vm.definition] else { return true }
        return vm.spec.replicas == nil && definition.replicas == nil
    }

    private mutating func vmChange(_ instance: VMInstance, current: ObservedVM?) -> Change {
        let address = ResourceAddress(.vm, instance.name)
        let spec = instance.spec
        let willRun = PowerIntent.shouldRun(spec.runStrategy, observed: current?.state)
        runsAfter[instance.name] = willRun
        guard let current else {
            let power = willRun ? "started" : "created stopped (runStrategy \(spec.runStrategy.rawValue))"
            return Change(address: address, action: .create, impact: .none,
                          reasons: ["new VM: \(spec.cpus) vCPU\(spec.cpus == 1 ? "" : "s"), \(spec.memory), \(Self.guestSummary(spec)); \(power)"])
        }
        var diffs = VMDiff.diffs(from: current.spec, to: spec, runningOn: current.backend)
        let isUp = current.state.holdsResources
        let state = PowerIntent.describe(current)
        let strategy = "runStrategy \(spec.runStrategy.rawValue)"
        if let shrink = diffs.first(where: { $0.field == "image.size" && $0.impact == .dataLoss }) {
            let refusal = Refusal(address: address, message: "the root disk of \(instance.name) would shrink from \(shrink.before ?? "?") to \(shrink.after ?? "?")",
                                  hint: "root disks only grow; keep image.size at \(shrink.before ?? "its size") or more")
            refusals.append(refusal)
            return Change(address: address, action: .noop, impact: .none, reasons: ["refused: \(refusal.message)"], diffs: diffs)
        }
        var reasons = diffs.compactMap { reason(for: $0) }
        if diffs.contains(where: { $0.field == "cloudInit" }) {
            reasons.append("cloud-init provisions it again at that boot (new instance-id: users, files and runcmd run again)")
        } else if spec.image != nil, diffs.contains(where: { $0.field.hasPrefix("networks") || $0.field.hasPrefix("disks") }) {
            reasons.append("its seed's network or mounts change, so cloud-init provisions it again at that boot (users, files and runcmd run again)")
        }
        if diffs.contains(where: { $0.impact == .dataLoss }) {
            reasons.append("its root disk is deleted and made anew from the new image (volumes are kept)")
            reasons.append(willRun ? "the new VM is started" : "the new VM is left stopped (\(strategy))")
            return Change(address: address, action: .replace, impact: .dataLoss, reasons: reasons, diffs: diffs)
        }
        if diffs.contains(where: { $0.impact == .recreate }) {
            reasons.append(willRun ? "the new VM is started" : "the new VM is left stopped (\(strategy))")
            return Change(address: address, action: .replace, impact: .recreate, reasons: reasons, diffs: diffs)
        }
        // Another resource's change restarts a VM only when it runs now and keeps running.
        for nic in spec.networks where replacedNetworks.contains(nic.network) {
            reasons.append("network '\(nic.network)' is replaced, so the VM restarts")
        }
        for disk in spec.disks where grownVolumes.contains(disk.volume) {
            reasons.append("volume '\(disk.volume)' grows, so the VM restarts to see it")
        }
        let needsRestart = !reasons.isEmpty
        if PowerIntent.resets(spec.runStrategy, observed: current.state) {
            if needsRestart {
                return Change(address: address, action: .restart, impact: .restart, reasons: ["\(state)"] + reasons, diffs: diffs)
            }
            return Change(address: address, action: .reset, impact: .restart, reasons: ["\(state); \(strategy) resets it"], diffs: diffs)
        }
        // A VM that is down before or after the plan takes every change at its next start: no restart is needed.
        let atNextStart = diffs.map { var d = $0; d.impact = .none; return d }
        switch (isUp, willRun) {
        case (true, false):
            let later = diffs.isEmpty ? [] : ["the changes below take effect at its next start"]
            return Change(address: address, action: .stop, impact: .restart, reasons: ["\(state); \(strategy) stops it"] + later, diffs: atNextStart)
        case (false, true):
            let with = diffs.isEmpty ? [] : ["it starts with the changes below"]
            return Change(address: address, action: .start, impact: .none, reasons: ["\(state); \(strategy) starts it"] + with, diffs: atNextStart)
        case (true, true) where needsRestart:
            return Change(address: address, action: .restart, impact: .restart, reasons: reasons, diffs: diffs)
        default:
            break
        }
        if diffs.isEmpty {
            let note = switch current.state {
            case .paused where willRun: "paused; vmctl leaves a paused VM paused"
            case .panicked: "\(state); \(strategy) leaves its power state to you"
            default: "matches the manifest"
            }
            return Change(address: address, action: .noop, impact: .none, reasons: [note])
        }
        if isUp { return Change(address: address, action: .update, impact: .live, reasons: ["applied live"], diffs: diffs) }
        return Change(address: address, action: .update, impact: .none,
                      reasons: ["\(state): the changes below take effect at its next start"], diffs: atNextStart)
    }

    /// What the VM boots: "default guest", "own kernel", "image debian-12.qcow2 (10GiB root disk, cloud-init)".
    static func guestSummary(_ spec: VMSpec) -> String {
        guard let image = spec.image else { return spec.kernel == nil ? "default guest" : "own kernel" }
        let file = image.path.split(separator: "/").last.map(String.init) ?? image.path
        var details = [image.size.map { "\($0) root disk" } ?? "root disk of the image's size"]
        if spec.cloudInit != nil { details.append("cloud-init") }
        if !spec.ports.isEmpty { details.append("ports " + spec.ports.map { "\($0.host)→\($0.guest)" }.joined(separator: ", ")) }
        return "image \(file) (\(details.joined(separator: ", ")))"
    }

    /// A sentence for the diffs that cost more than a live update.
    private func reason(for diff: FieldDiff) -> String? {
        let change = "\(diff.field) \(diff.before ?? "none") → \(diff.after ?? "none")"
        switch diff.impact {
        case .restart: return "\(change) requires a restart"
        case .recreate: return "\(change) forces a new VM"
        case .dataLoss: return "\(change) forces a new VM with a new root disk"
        default: return nil
        }
    }

    func finish() -> Plan {
        let ordered = Waves.assign(changes, desired: desired, observed: observed)
        let capacity = CapacityCheck.withPeak(CapacityCheck.report(desired: desired, observed: observed, runsAfter: runsAfter),
                                              changes: ordered, desired: desired, observed: observed, runsAfter: runsAfter)
        var refusals = self.refusals
        let blockedNames = Set(blocked.map(\.address.name))
        let keptRunning = kept.filter { $0.address.kind == .vm && runsAfter[$0.address.name] == true && !blockedNames.contains($0.address.name) }
            .map(\.address.name).sorted()
        refusals += CapacityCheck.refusals(capacity, keptRunning: keptRunning)
        return Plan(formatVersion: Plan.formatVersion, stack: desired.name, options: options, changes: ordered,
                    kept: kept.sorted { $0.address < $1.address }, refusals: refusals,
                    blocked: blocked.sorted { $0.address < $1.address }, capacity: capacity)
    }
}
