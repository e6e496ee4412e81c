import VMCtlModel

/// Orders changes into waves: everything in one wave may run in parallel.
///
/// Teardown (stops and deletes) comes first, dependents before their dependencies, VMs before the networks
/// and volumes they used. Bring-up follows: networks and volumes before the VMs that use them, a VM after the
/// VMs it depends on, and restarts or replaces of one definition's replicas one at a time (a rolling restart).
/// A network or volume that a staying VM detaches from is deleted last, once the VM no longer uses it.
/// A VM that boots with a volume waits for the restart or replace of another VM that writes to it now, so it
/// never mounts a volume another guest still has mounted read-write.
enum Waves {
    static func assign(_ changes: [Change], desired: Stack, observed: ObservedState) -> [Change] {
        let active = changes.filter { $0.action != .noop }
        let teardown = active.filter { isTeardown($0) }
        let bringUp = active.filter { !isTeardown($0) }

        let vmTeardowns = teardown.filter { $0.address.kind == .vm }.map(\.address)
        // Definition name → VMs going down whose old spec depends on it.
        var dependents: [String: [ResourceAddress]] = [:]
        for address in vmTeardowns {
            for target in observed.vms[address.name]?.spec.dependsOn ?? [] { dependents[target, default: []].append(address) }
        }
        let teardownWaves = layer(teardown) { change in
            switch change.address.kind {
            case .network, .volume: return vmTeardowns
            case .vm: return observed.vms[change.address.name].map { dependents[$0.definition] ?? [] } ?? []
            }
        }
        let offset = teardownWaves.values.max() ?? 0
        let instances = Dictionary(desired.instances.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        // Each rolling change waits for the one before it in its definition, skipping replicas that do not roll.
        var previousRoll: [ResourceAddress: ResourceAddress] = [:]
        var lastRoll: [String: ResourceAddress] = [:]
        for change in bringUp.filter(isRolling).sorted(by: { (instances[$0.address.name]?.ordinal ?? 0) < (instances[$1.address.name]?.ordinal ?? 0) }) {
            guard let instance = instances[change.address.name], instance.ordinal != nil else { continue }
            previousRoll[change.address] = lastRoll[instance.definition]
            lastRoll[instance.definition] = change.address
        }
        func basePredecessors(_ change: Change) -> [ResourceAddress] {
            bringUpPredecessors(of: change, instance: instances[change.address.name], desired: desired)
                + (previousRoll[change.address].map { [$0] } ?? [])
        }
        let writerEdges = writerPredecessors(bringUp, instances: instances, observed: observed, base: basePredecessors)
        let bringUpWaves = layer(bringUp) { change in basePredecessors(change) + (writerEdges[change.address] ?? []) }

        let detachWaves = afterDetach(teardown, bringUp: bringUp, bringUpWaves: bringUpWaves, offset: offset, observed: observed)

        var result: [Change] = []
        for change in changes {
            var change = change
            if change.action == .noop {
                change.wave = 0
            } else if let wave = detachWaves[change.address] {
                change.wave = wave
            } else if let wave = teardownWaves[change.address] {
                change.wave = wave
            } else {
                change.wave = offset + (bringUpWaves[change.address] ?? 1)
            }
            result.append(change)
        }
        // Moving a delete after bring-up can empty a teardown wave; number the waves that remain 1, 2, 3, …
        let used = Set(result.map(\.wave).filter { $0 > 0 }).sorted()
        let compact = Dictionary(uniqueKeysWithValues: used.enumerated().map { ($1, $0 + 1) })
        for index in result.indices where result[index].wave > 0 { result[index].wave = compact[result[index].wave] ?? result[index].wave }
        return result.sorted { ($0.wave, $0.address) < ($1.wave, $1.address) }
    }

    /// A network or volume that a staying VM still has attached is deleted only after that VM's restart or
    /// replace has detached it: deleting it first would pull a NIC or a disk from under a running guest.
    private static func afterDetach(_ teardown: [Change], bringUp: [Change], bringUpWaves: [ResourceAddress: Int],
                                    offset: Int, observed: ObservedState) -> [ResourceAddress: Int] {
        var waves: [ResourceAddress: Int] = [:]
        for change in teardown where change.address.kind != .vm {
            let name = change.address.name
            let users = bringUp.filter { vm in
                guard vm.address.kind == .vm, let spec = observed.vms[vm.address.name]?.spec else { return false }
                return change.address.kind == .network
                    ? spec.networks.contains { $0.network == name } : spec.disks.contains { $0.volume == name }
            }
            guard let last = users.compactMap({ bringUpWaves[$0.address] }).max() else { continue }
            waves[change.address] = offset + last + 1
        }
        return waves
    }

    /// VM → the VMs that write to a volume it boots with now and go down and up again in this plan (restart or
    /// replace): it boots after them. An edge that would contradict dependsOn or a rolling order (a cycle) is
    /// left out; those constraints come first.
    private static func writerPredecessors(_ bringUp: [Change], instances: [String: VMInstance], observed: ObservedState,
                                           base: (Change) -> [ResourceAddress]) -> [ResourceAddress: [ResourceAddress]] {
        var writers: [String: [ResourceAddress]] = [:]
        for change in bringUp where change.address.kind == .vm && [.restart, .replace].contains(change.action) {
            for disk in observed.vms[change.address.name]?.spec.disks ?? [] where !disk.readOnly {
                writers[disk.volume, default: []].append(change.address)
            }
        }
        guard !writers.isEmpty else { return [:] }
        let byAddress = Dictionary(bringUp.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
        var edges: [ResourceAddress: [ResourceAddress]] = [:]
        func reaches(_ from: ResourceAddress, _ target: ResourceAddress) -> Bool {
            var seen: Set<ResourceAddress> = [], stack = [from]
            while let address = stack.popLast() {
                if address == target { return true }
                guard seen.insert(address).inserted, let change = byAddress[address] else { continue }
                stack += base(change) + (edges[address] ?? [])
            }
            return false
        }
        for change in bringUp.sorted(by: { $0.address < $1.address })
        where change.address.kind == .vm && [.create, .start, .restart, .replace].contains(change.action) {
            guard let instance = instances[change.address.name] else { continue }
            for writer in instance.spec.disks.flatMap({ writers[$0.volume] ?? [] }) where writer != change.address {
                // writer before change, unless writer already (transitively) waits for change.
                if !reaches(writer, change.address) { edges[change.address, default: []].append(writer) }
            }
        }
        return edges
    }

    static func isTeardown(_ change: Change) -> Bool { change.action == .delete || change.action == .stop }

    /// Changes that take a replica down and bring it back: one replica at a time keeps the rest serving.
    static func isRolling(_ change: Change) -> Bool { change.address.kind == .vm && [.restart, .replace, .reset].contains(change.action) }

    /// Candidates only: `layer` ignores addresses that have no change in this phase.
    private static func bringUpPredecessors(of change: Change, instance: VMInstance?, desired: Stack) -> [ResourceAddress] {
        guard change.address.kind == .vm, let instance else { return [] }
        var predecessors: [ResourceAddress] = []
        for nic in instance.spec.networks { predecessors.append(ResourceAddress(.network, nic.network)) }
        for disk in instance.spec.disks { predecessors.append(ResourceAddress(.volume, disk.volume)) }
        for target in instance.spec.dependsOn {
            guard let definition = desired.vms[target] else { continue }
            predecessors += definition.instanceNames.map { ResourceAddress(.vm, $0) }
        }
        return predecessors
    }

    /// Longest-path layering: a change's wave is one more than its latest predecessor's.
    private static func layer(_ changes: [Change], predecessors: (Change) -> [ResourceAddress]) -> [ResourceAddress: Int] {
        let byAddress = Dictionary(changes.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
        var waves: [ResourceAddress: Int] = [:]
        var visiting: Set<ResourceAddress> = []
        func wave(of address: ResourceAddress) -> Int {
            if let known = waves[address] { return known }
            guard let change = byAddress[address], visiting.insert(address).inserted else { return 0 }
            let before = predecessors(change).map { wave(of: $0) }.max() ?? 0
            visiting.remove(address)
            waves[address] = before + 1
            return before + 1
        }
        for change in changes.sorted(by: { $0.address < $1.address }) { _ = wave(of: change.address) }
        return waves
    }
}
