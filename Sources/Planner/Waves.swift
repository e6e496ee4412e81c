import VMCtlModel

/// Orders changes into waves: everything in one wave may run in parallel.
///
/// Teardown (stops and deletes) comes first, dependents before their dependencies, VMs before the networks
/// and volumes they used. Bring-up follows: networks and volumes before the VMs that use them, a VM after the
/// VMs it depends on, and restarts or replaces of one definition's replicas one at a time (a rolling restart).
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
        let bringUpWaves = layer(bringUp) { change in
            bringUpPredecessors(of: change, instance: instances[change.address.name], desired: desired)
        }

        var result: [Change] = []
        for change in changes {
            var change = change
            if change.action == .noop {
                change.wave = 0
            } else if let wave = teardownWaves[change.address] {
                change.wave = wave
            } else {
                change.wave = offset + (bringUpWaves[change.address] ?? 1)
            }
            result.append(change)
        }
        return result.sorted { ($0.wave, $0.address) < ($1.wave, $1.address) }
    }

    static func isTeardown(_ change: Change) -> Bool { change.action == .delete || change.action == .stop }

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
        if let ordinal = instance.ordinal, ordinal > 0, [.restart, .replace, .reset].contains(change.action) {
            predecessors.append(ResourceAddress(.vm, "\(instance.definition)-\(ordinal - 1)"))
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
