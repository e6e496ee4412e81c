import Foundation
@testable import Planner
import VMCtlModel

// Support for ConvergenceTests: a seeded generator of (desired, observed, options) triples, a fake executor
// that applies a plan to an observed state, the properties every plan must have, and a shrinker.

// MARK: - Random numbers

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast and the same on every platform and Swift version.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    // The helpers below use only `next()`, never the standard library's sampling, so a seed names the same
    // scenario everywhere.

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func chance(_ probability: Double) -> Bool {
        Double(next() >> 11) / Double(UInt64(1) << 53) < probability
    }

    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    mutating func subset<T>(_ items: [T], _ probability: Double) -> [T] { items.filter { _ in chance(probability) } }

    mutating func shuffled<T>(_ items: [T]) -> [T] {
        var items = items
        guard items.count > 1 else { return items }
        for i in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(i, int(0...i)) }
        return items
    }
}

// MARK: - Scenarios

struct Scenario: CustomStringConvertible {
    var seed: UInt64
    var desired: Stack
    var observed: ObservedState
    var options: PlanOptions

    /// The three inputs, one resource a line as compact JSON, to turn a counterexample into a regression test.
    var description: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func json<T: Encodable>(_ value: T) -> String { String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self) }
        func lines<T: Encodable>(_ title: String, _ items: [String: T]) -> String {
            items.keys.sorted().map { "  \(title) \($0): \(json(items[$0]!))\n" }.joined()
        }
        return "seed \(seed), options \(json(options)), host \(json(desired.host))\n"
            + lines("desired network", desired.networks) + lines("desired volume", desired.volumes) + lines("desired vm", desired.vms)
            + lines("observed network", observed.networks) + lines("observed volume", observed.volumes) + lines("observed vm", observed.vms)
    }
}

enum ScenarioGenerator {
    static let hugeBudget = HostBudget(cpus: 1_000_000, memory: .gib(1_000_000))
    static let vmNames = ["api", "web", "db", "cache", "queue", "worker", "proxy", "auth"]
    static let networkNames = ["front", "back", "mgmt", "storage"]
    static let volumeNames = ["pgdata", "logs", "media", "scratch"]
    /// Resources that exist on the host but never in a generated manifest.
    static let strayNetworks = ["old-net", "legacy-net"]
    static let strayVolumes = ["orphan", "backup"]
    static let strayVMs: [(definition: String, replicas: Int?)] = [("legacy", nil), ("old", 2)]
    static let memories: [UInt64] = [128, 256, 512, 1024]

    static func scenario(seed: UInt64, host: HostBudget = hugeBudget) -> Scenario {
        var rng = SplitMix64(seed: seed)
        let desired = stack(&rng, host: host)
        let observed = observed(for: desired, &rng)
        let options = PlanOptions(prune: rng.chance(0.5), pruneVolumes: rng.chance(0.35))
        return Scenario(seed: seed, desired: desired, observed: observed, options: options)
    }

    static func subnet(_ index: Int) -> IPv4Subnet {
        IPv4Subnet(network: IPv4Address(UInt32(10) << 24 | UInt32(index) << 16), prefixLength: 24)
    }

    static func network(index: Int, _ rng: inout SplitMix64) -> NetworkSpec {
        let subnet = subnet(index)
        let mode = rng.pick(NetworkMode.allCases)
        return NetworkSpec(subnet: subnet, mode: mode,
                           gateway: rng.chance(0.8) ? nil : IPv4Address(subnet.network.value + 254),
                           bridge: mode == .bridge && rng.chance(0.5) ? "br\(index)" : nil)
    }

    static func volume(_ name: String, _ rng: inout SplitMix64) -> VolumeSpec {
        let source = rng.chance(0.25) ? "/images/\(name).img" : nil
        let size: ByteSize? = source != nil && rng.chance(0.5) ? nil : .mib(rng.pick([64, 128, 512, 1024]))
        return VolumeSpec(size: size, source: source, filesystem: source == nil && rng.chance(0.5) ? .ext4 : nil)
    }

    static func kernel(_ rng: inout SplitMix64) -> KernelSpec? {
        guard rng.chance(0.4) else { return nil }
        return KernelSpec(image: "/boot/vmlinuz-\(rng.pick(["6.1", "6.6"]))",
                          initrd: rng.chance(0.3) ? "/boot/initrd.img" : nil,
                          cmdline: rng.chance(0.5) ? rng.pick(["console=ttyS0", "console=ttyS0 quiet"]) : nil)
    }

    static func labels(_ rng: inout SplitMix64) -> [String: String] {
        var labels: [String: String] = [:]
        if rng.chance(0.5) { labels["tier"] = rng.pick(["a", "b"]) }
        if rng.chance(0.3) { labels["team"] = rng.pick(["x", "y"]) }
        return labels
    }

    static func readiness(_ rng: inout SplitMix64) -> ReadinessSpec {
        ReadinessSpec(consoleMarker: rng.chance(0.3) ? rng.pick(["login:", "ready"]) : nil,
                      timeout: rng.chance(0.8) ? ReadinessSpec.defaultTimeout : .seconds(rng.pick([30, 300])))
    }

    /// A valid stack: every reference exists, dependsOn is acyclic (a VM depends only on VMs defined before it in
    /// a random order), static addresses only without replicas, a volume written by at most one VM.
    static func stack(_ rng: inout SplitMix64, host: HostBudget) -> Stack {
        var networks: [String: NetworkSpec] = [:]
        for (index, name) in networkNames.enumerated() where rng.chance(0.6) {
            networks[name] = network(index: index, &rng)
        }
        var volumes: [String: VolumeSpec] = [:]
        for name in volumeNames where rng.chance(0.5) { volumes[name] = volume(name, &rng) }

        var vms: [String: VMSpec] = [:]
        var written: Set<String> = []
        let order = Array(rng.shuffled(vmNames).prefix(rng.int(0...6)))
        for (position, name) in order.enumerated() {
            let replicas: Int? = rng.chance(0.6) ? nil : rng.int(0...3)
            let single = (replicas ?? 1) <= 1
            var nics: [NICSpec] = []
            for net in rng.shuffled(networks.keys.sorted()) where rng.chance(0.5) {
                let index = networkNames.firstIndex(of: net)!
                let ip = single && rng.chance(0.3) ? IPv4Address(subnet(index).network.value + UInt32(10 + position)) : nil
                let mac = single && rng.chance(0.2) ? MACAddress(octets: [0x52, 0x54, 0, 0, UInt8(index), UInt8(position)]) : nil
                nics.append(NICSpec(network: net, ip: ip, mac: mac))
            }
            var disks: [DiskSpec] = []
            for vol in rng.shuffled(volumes.keys.sorted()) where rng.chance(0.4) {
                let readOnly = written.contains(vol) || !single || rng.chance(0.3)
                if !readOnly, replicas != 0 { written.insert(vol) }
                disks.append(DiskSpec(volume: vol, readOnly: readOnly, mountPoint: rng.chance(0.3) ? "/data/\(vol)" : nil))
            }
            vms[name] = VMSpec(name: name, replicas: replicas, cpus: rng.int(1...4), memory: .mib(rng.pick(memories)),
                               backend: rng.pick(BackendChoice.allCases), kernel: kernel(&rng), networks: nics, disks: disks,
                               dependsOn: rng.subset(Array(order[..<position]), 0.3), runStrategy: rng.pick(RunStrategy.allCases),
                               readiness: readiness(&rng), labels: labels(&rng))
        }
        return Stack(name: "prop", host: host, networks: networks, volumes: volumes, vms: vms)
    }

    /// What the host holds: the desired stack as it was some time ago, in any power state, with some resources
    /// missing, some changed, and some no longer in the manifest.
    static func observed(for stack: Stack, _ rng: inout SplitMix64) -> ObservedState {
        var observed = ObservedState(stack: stack.name)
        for (name, spec) in stack.networks.sorted(by: { $0.key < $1.key }) where !rng.chance(0.15) {
            var spec = spec
            if rng.chance(0.2) {
                switch rng.int(0...3) {
                case 0: spec.subnet = subnet(100 + networkNames.firstIndex(of: name)!); spec.gateway = spec.subnet.firstHost
                case 1: spec.mode = rng.pick(NetworkMode.allCases.filter { $0 != spec.mode })
                case 2: spec.gateway = IPv4Address(spec.subnet.network.value + 200)
                default: spec.bridge = spec.bridge == nil ? "br-old" : nil
                }
            }
            observed.networks[name] = ObservedNetwork(name: name, spec: spec)
        }
        for (index, name) in strayNetworks.enumerated() where rng.chance(0.3) {
            observed.networks[name] = ObservedNetwork(name: name, spec: NetworkSpec(subnet: subnet(200 + index)))
        }

        for (name, spec) in stack.volumes.sorted(by: { $0.key < $1.key }) where !rng.chance(0.15) {
            var current = spec
            var size = spec.size ?? .mib(rng.pick([64, 256, 2048]))
            if let wanted = spec.size {
                // Mostly equal or smaller (the volume grows); rarely larger (a shrink, which is refused).
                if rng.chance(0.3) { size = ByteSize(bytes: wanted.bytes / 2) } else if rng.chance(0.04) { size = .mib(4096) }
            }
            if rng.chance(0.04) { current.filesystem = current.filesystem == nil ? .ext4 : nil }
            if rng.chance(0.03) { current.source = "/images/elsewhere.img" }
            observed.volumes[name] = ObservedVolume(name: name, spec: current, size: size)
        }
        for name in strayVolumes where rng.chance(0.35) {
            observed.volumes[name] = ObservedVolume(name: name, spec: VolumeSpec(size: .mib(256)), size: .mib(256))
        }

        let knownNetworks = Array(Set(stack.networks.keys).union(observed.networks.keys)).sorted()
        let knownVolumes = Array(Set(stack.volumes.keys).union(observed.volumes.keys)).sorted()
        for (_, definition) in stack.vms.sorted(by: { $0.key < $1.key }) {
            var base = definition
            if rng.chance(0.3) { base.replicas = rng.pick([nil, 0, 1, 2, 3, 4]) }
            for name in base.instanceNames where !rng.chance(0.15) {
                let spec = rng.chance(0.5) ? base : mutate(base, &rng, stack: stack, networks: knownNetworks, volumes: knownVolumes)
                observed.vms[name] = observedVM(name, spec, &rng)
            }
        }
        for stray in strayVMs where rng.chance(0.35) {
            var spec = VMSpec(name: stray.definition, replicas: stray.replicas, cpus: rng.int(1...2), memory: .mib(rng.pick(memories)),
                              runStrategy: rng.pick(RunStrategy.allCases))
            spec.networks = rng.subset(knownNetworks, 0.3).map { NICSpec(network: $0) }
            spec.disks = rng.subset(knownVolumes, 0.3).map { DiskSpec(volume: $0) }
            for name in spec.instanceNames where !rng.chance(0.2) { observed.vms[name] = observedVM(name, spec, &rng) }
        }
        return observed
    }

    static func observedVM(_ name: String, _ spec: VMSpec, _ rng: inout SplitMix64) -> ObservedVM {
        let state = rng.pick(PowerState.allCases)
        let backend: BackendKind = switch spec.backend {
        case .kvm: .kvm
        case .qemu: .qemu
        case .auto: rng.pick(BackendKind.allCases)
        }
        var exitStatus: Int?, signal: Int?
        if state == .crashed {
            if rng.chance(0.6) { exitStatus = rng.pick([1, 137, 255]) } else if rng.chance(0.5) { signal = 9 }
        }
        return ObservedVM(name: name, spec: spec, state: state, backend: backend, exitStatus: exitStatus, signal: signal)
    }

    /// One to three random edits of a spec: what the manifest said when the VM was last applied.
    static func mutate(_ spec: VMSpec, _ rng: inout SplitMix64, stack: Stack, networks: [String], volumes: [String]) -> VMSpec {
        var spec = spec
        for _ in 0..<rng.int(1...3) {
            switch rng.int(0...11) {
            case 0: spec.cpus = rng.int(1...4)
            case 1: spec.memory = .mib(rng.pick(memories))
            case 2: spec.backend = rng.pick(BackendChoice.allCases)
            case 3: spec.kernel = kernel(&rng)
            case 4: spec.labels = labels(&rng)
            case 5: spec.runStrategy = rng.pick(RunStrategy.allCases)
            case 6: spec.readiness = readiness(&rng)
            case 7:
                if !spec.networks.isEmpty, rng.chance(0.5) { spec.networks.remove(at: rng.int(0...(spec.networks.count - 1))) }
                if !networks.isEmpty, rng.chance(0.5) {
                    let net = rng.pick(networks)
                    if !spec.networks.contains(where: { $0.network == net }) { spec.networks.append(NICSpec(network: net)) }
                }
                if rng.chance(0.3) { spec.networks = rng.shuffled(spec.networks) }
            case 8:
                if !spec.networks.isEmpty {
                    let index = rng.int(0...(spec.networks.count - 1))
                    if rng.chance(0.5) {
                        spec.networks[index].ip = spec.networks[index].ip == nil ? IPv4Address(0x0A00_0063) : nil
                    } else {
                        spec.networks[index].mac = spec.networks[index].mac == nil ? MACAddress(octets: [0x52, 0x54, 0, 9, 9, 9]) : nil
                    }
                }
            case 9:
                if !spec.disks.isEmpty, rng.chance(0.5) { spec.disks.remove(at: rng.int(0...(spec.disks.count - 1))) }
                if !volumes.isEmpty, rng.chance(0.5) {
                    let vol = rng.pick(volumes)
                    if !spec.disks.contains(where: { $0.volume == vol }) { spec.disks.append(DiskSpec(volume: vol, readOnly: true)) }
                }
                if rng.chance(0.3) { spec.disks = rng.shuffled(spec.disks) }
            case 10:
                if !spec.disks.isEmpty {
                    let index = rng.int(0...(spec.disks.count - 1))
                    if rng.chance(0.5) { spec.disks[index].readOnly.toggle() } else {
                        spec.disks[index].mountPoint = spec.disks[index].mountPoint == nil ? "/mnt/old" : nil
                    }
                }
            default:
                spec.dependsOn = rng.subset(stack.vms.keys.sorted().filter { $0 != spec.name }, 0.3)
            }
        }
        return spec
    }
}

// MARK: - Fake executor

/// Applies a plan to an observed state the way the real executor does, change by change in wave order.
/// It decides power states from the actions and from runStrategy (for a VM that is created or replaced),
/// independently of the planner's code.
enum FakeExecutor {
    static func apply(_ plan: Plan, desired: Stack, to observed: ObservedState) -> ObservedState {
        var state = observed
        let instances = Dictionary(uniqueKeysWithValues: desired.instances.map { ($0.name, $0) })
        for change in plan.changes.sorted(by: { ($0.wave, $0.address) < ($1.wave, $1.address) }) where change.action != .noop {
            let name = change.address.name
            switch change.address.kind {
            case .network:
                switch change.action {
                case .delete: state.networks[name] = nil
                default: state.networks[name] = ObservedNetwork(name: name, spec: desired.networks[name]!)
                }
            case .volume:
                switch change.action {
                case .delete: state.volumes[name] = nil
                case .create:
                    let spec = desired.volumes[name]!
                    state.volumes[name] = ObservedVolume(name: name, spec: spec, size: spec.size ?? .mib(1024))
                default:
                    let spec = desired.volumes[name]!
                    let old = state.volumes[name]!
                    state.volumes[name] = ObservedVolume(name: name, spec: spec, size: spec.size.map { max($0, old.size) } ?? old.size)
                }
            case .vm:
                if change.action == .delete { state.vms[name] = nil; continue }
                let spec = instances[name]!.spec
                let old = state.vms[name]
                var vm = old ?? ObservedVM(name: name, spec: spec, state: .stopped, backend: backend(for: spec))
                vm.spec = spec
                switch change.action {
                case .create, .replace:
                    vm.backend = backend(for: spec)
                    vm.state = runs(spec.runStrategy, now: old?.state) ? .running : .stopped
                case .start, .restart, .reset: vm.state = .running
                case .stop: vm.state = .stopped
                default: break // update: the spec changes, the power state does not
                }
                if vm.state != old?.state { vm.exitStatus = nil; vm.signal = nil }
                state.vms[name] = vm
            }
        }
        return state
    }

    static func backend(for spec: VMSpec) -> BackendKind { spec.backend == .qemu ? .qemu : .kvm }

    /// runStrategy as the issue states it: Always runs, Halted does not, Manual keeps the power state,
    /// RerunOnFailure runs a new VM and brings back a crashed one.
    static func runs(_ strategy: RunStrategy, now: PowerState?) -> Bool {
        switch strategy {
        case .always: return true
        case .halted: return false
        case .manual: return now?.holdsResources ?? false
        case .rerunOnFailure: return now.map { $0.holdsResources || $0 == .crashed } ?? true
        }
    }

    /// vCPUs and bytes of memory of the VMs holding resources.
    static func usage(_ state: ObservedState) -> (cpus: Double, memory: Double) {
        var cpus = 0.0, memory = 0.0
        for vm in state.vms.values where vm.state.holdsResources {
            cpus += Double(vm.spec.cpus)
            memory += Double(vm.spec.memory.bytes)
        }
        return (cpus, memory)
    }
}

// MARK: - Properties

enum PlanProperty: String, CaseIterable {
    case convergence = "(a) applying the plan, then planning again, gives no changes"
    case volumeDeletes = "(b) volumes are deleted only with pruneVolumes, as data-loss"
    case vmDeletes = "(c) VMs of the stack are deleted only with prune or as replicas beyond the count"
    case noDanglingReferences = "(b, c) no VM left on the host refers to a network or volume the plan deletes"
    case waves = "(d) waves respect dependencies; teardown precedes bring-up; restarts roll"
    case determinism = "(e) the plan is deterministic"
    case oneEntryPerResource = "(e) one entry per resource"
}

struct Violation: CustomStringConvertible {
    var property: PlanProperty
    /// Which check of the property failed, to report one counterexample per check.
    var rule: String = ""
    var detail: String
    var description: String { "\(property.rawValue): \(detail)" }
}

enum PlanProperties {
    static func check(_ scenario: Scenario) -> [Violation] {
        let desired = scenario.desired, observed = scenario.observed, options = scenario.options
        let plan = Planner.plan(desired: desired, observed: observed, options: options)
        var violations: [Violation] = []
        func fail(_ property: PlanProperty, _ detail: String) { violations.append(Violation(property: property, detail: detail)) }
        let byAddress = Dictionary(plan.changes.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
        let instances = Dictionary(uniqueKeysWithValues: desired.instances.map { ($0.name, $0) })

        // (a) Convergence in one apply.
        if plan.isApplicable {
            let applied = FakeExecutor.apply(plan, desired: desired, to: observed)
            let again = Planner.plan(desired: desired, observed: applied, options: options)
            for change in again.changes where change.action != .noop {
                fail(.convergence, "after applying, \(change.address) still plans \(change.action): \(change.reasons.joined(separator: "; "))")
            }
        }

        // (b) Volume deletes.
        for change in plan.changes where change.address.kind == .volume && change.action == .delete {
            if !options.pruneVolumes { fail(.volumeDeletes, "\(change.address) is deleted without pruneVolumes") }
            if change.impact != .dataLoss { fail(.volumeDeletes, "\(change.address) is deleted with impact \(change.impact.rawValue)") }
        }
        for change in plan.changes where change.address.kind == .volume && change.action == .replace {
            fail(.volumeDeletes, "\(change.address) is replaced, which deletes its data")
        }

        // (c) VM deletes.
        for change in plan.changes where change.address.kind == .vm && change.action == .delete && !options.prune {
            guard let vm = observed.vms[change.address.name] else {
                fail(.vmDeletes, "\(change.address) is deleted but does not exist"); continue
            }
            guard let definition = desired.vms[vm.definition] else {
                fail(.vmDeletes, "\(change.address) is not in the manifest and is deleted without prune"); continue
            }
            if instances[vm.name] != nil { fail(.vmDeletes, "\(change.address) is in the manifest and is deleted") }
            // A replica beyond the count, or the VM of a definition that was turned into replicas (or back).
            let beyondCount = vm.spec.replicas != nil && (definition.replicas.map { ordinal(vm) ?? 0 >= $0 } ?? true)
            let turnedIntoReplicas = vm.spec.replicas == nil && definition.replicas != nil
            if !beyondCount && !turnedIntoReplicas {
                fail(.vmDeletes, "\(change.address) is deleted without prune and is not a replica beyond the count")
            }
        }

        // (b, c) What stays keeps its networks and disks.
        let applied = FakeExecutor.apply(plan, desired: desired, to: observed)
        for change in plan.changes where change.action == .delete && change.address.kind != .vm {
            for vm in applied.vms.values.sorted(by: { $0.name < $1.name }) {
                let uses = change.address.kind == .network ? vm.spec.networks.contains { $0.network == change.address.name }
                    : vm.spec.disks.contains { $0.volume == change.address.name }
                if uses { fail(.noDanglingReferences, "\(change.address) is deleted but vm.\(vm.name) stays and still uses it") }
            }
        }

        // (d) Waves.
        violations += waveViolations(plan, scenario: scenario, instances: instances, byAddress: byAddress)

        // (e) Determinism: same input, also built with another dictionary history, gives an identical plan.
        let again = Planner.plan(desired: reshuffled(desired), observed: reshuffled(observed), options: options)
        if again != plan { fail(.determinism, "planning the same input twice gave different plans") }

        // (e) One entry per resource: desired resources and observed ones appear exactly once, in changes or kept.
        var expected = Set(desired.networks.keys.map { ResourceAddress(.network, $0) })
        expected.formUnion(desired.volumes.keys.map { ResourceAddress(.volume, $0) })
        expected.formUnion(instances.keys.map { ResourceAddress(.vm, $0) })
        expected.formUnion(observed.networks.keys.map { ResourceAddress(.network, $0) })
        expected.formUnion(observed.volumes.keys.map { ResourceAddress(.volume, $0) })
        expected.formUnion(observed.vms.keys.map { ResourceAddress(.vm, $0) })
        let listed = plan.changes.map(\.address) + plan.kept.map(\.address)
        for (address, count) in Dictionary(listed.map { ($0, 1) }, uniquingKeysWith: +) where count > 1 {
            fail(.oneEntryPerResource, "\(address) appears \(count) times in changes and kept")
        }
        for address in expected.subtracting(listed).sorted() { fail(.oneEntryPerResource, "\(address) is missing from the plan") }
        for address in Set(listed).subtracting(expected).sorted() { fail(.oneEntryPerResource, "\(address) is not a resource") }
        for kept in plan.kept where !(observed.vms[kept.address.name] != nil || observed.networks[kept.address.name] != nil
                                      || observed.volumes[kept.address.name] != nil) {
            fail(.oneEntryPerResource, "\(kept.address) is kept but does not exist")
        }
        return violations
    }

    static func ordinal(_ vm: ObservedVM) -> Int? {
        guard vm.name.hasPrefix(vm.definition + "-") else { return nil }
        return Int(vm.name.dropFirst(vm.definition.count + 1))
    }

    static func waveViolations(_ plan: Plan, scenario: Scenario, instances: [String: VMInstance],
                               byAddress: [ResourceAddress: Change]) -> [Violation] {
        let desired = scenario.desired, observed = scenario.observed
        var violations: [Violation] = []
        var rule = ""
        func fail(_ detail: String) { violations.append(Violation(property: .waves, rule: rule, detail: detail)) }
        func isTeardown(_ change: Change) -> Bool { change.action == .stop || change.action == .delete }
        func isBringUp(_ change: Change) -> Bool { change.action != .noop && !isTeardown(change) }

        rule = "order"
        let sorted = plan.changes.sorted { ($0.wave, $0.address) < ($1.wave, $1.address) }
        if sorted != plan.changes { fail("changes are not ordered by wave, then address") }
        for change in plan.changes {
            if (change.action == .noop) != (change.wave == 0) { fail("\(change.address) (\(change.action)) is in wave \(change.wave)") }
        }
        rule = "teardown-first"
        // Teardown before bring-up: stops and deletes precede every create and start, except the delete of a network
        // or volume that a staying VM still uses: that one waits for the VM's change (checked below).
        func users(of address: ResourceAddress) -> [Change] {
            plan.changes.filter { change in
                guard change.address.kind == .vm, change.action != .noop, let spec = observed.vms[change.address.name]?.spec else { return false }
                return address.kind == .network ? spec.networks.contains { $0.network == address.name }
                    : address.kind == .volume && spec.disks.contains { $0.volume == address.name }
            }
        }
        let early = plan.changes.filter { isTeardown($0) && ($0.address.kind == .vm || !users(of: $0.address).contains(where: isBringUp)) }
        let lastTeardown = early.map(\.wave).max() ?? 0
        if let firstBringUp = plan.changes.filter({ $0.action == .create || $0.action == .start }).map(\.wave).min(), firstBringUp <= lastTeardown {
            fail("a create or start is in wave \(firstBringUp), before the last stop or delete (wave \(lastTeardown))")
        }
        rule = "bring-up"
        // Bring-up: what a VM uses and depends on comes up first.
        for change in plan.changes where isBringUp(change) && change.address.kind == .vm {
            guard let instance = instances[change.address.name] else { continue }
            var predecessors = instance.spec.networks.map { ResourceAddress(.network, $0.network) }
            predecessors += instance.spec.disks.map { ResourceAddress(.volume, $0.volume) }
            for target in instance.spec.dependsOn {
                predecessors += (desired.vms[target]?.instanceNames ?? []).map { ResourceAddress(.vm, $0) }
            }
            for predecessor in predecessors {
                guard let before = byAddress[predecessor], isBringUp(before) else { continue }
                if before.wave >= change.wave {
                    fail("\(change.address) (\(change.action), wave \(change.wave)) is not after \(predecessor) (\(before.action), wave \(before.wave))")
                }
            }
        }
        rule = "teardown-order"
        // Teardown: dependents go down before what they depend on; VMs before the networks and volumes they used.
        let vmTeardowns = plan.changes.filter { isTeardown($0) && $0.address.kind == .vm }
        // Observed specs were applied at different times, so their dependsOn may form a cycle; a cycle has no order.
        func dependsOn(_ a: ResourceAddress, _ b: ResourceAddress) -> Bool {
            guard let vm = observed.vms[a.name], let target = observed.vms[b.name] else { return false }
            return vm.spec.dependsOn.contains(target.definition)
        }
        func reaches(_ from: ResourceAddress, _ to: ResourceAddress) -> Bool {
            var seen: Set<ResourceAddress> = [from], queue = [from]
            while let next = queue.popLast() {
                for other in vmTeardowns.map(\.address) where dependsOn(next, other) && seen.insert(other).inserted {
                    if other == to { return true }
                    queue.append(other)
                }
            }
            return false
        }
        for change in vmTeardowns {
            for other in vmTeardowns where other.address != change.address && dependsOn(change.address, other.address) {
                if change.wave >= other.wave && !reaches(other.address, change.address) {
                    fail("\(change.address) depends on \(other.address) but goes down in wave \(change.wave), not before wave \(other.wave)")
                }
            }
        }
        for change in plan.changes where change.action == .delete && change.address.kind != .vm {
            for user in users(of: change.address) where user.wave >= change.wave {
                fail("\(change.address) is deleted in wave \(change.wave), not after \(user.address) (\(user.action), wave \(user.wave)) that uses it")
            }
        }
        rule = "rolling"
        // Rolling restarts: replicas of one definition go down one wave at a time, in ordinal order.
        var disruptive: [String: [(ordinal: Int, wave: Int, address: ResourceAddress)]] = [:]
        for change in plan.changes where [.restart, .replace, .reset].contains(change.action) {
            guard let instance = instances[change.address.name], let ordinal = instance.ordinal else { continue }
            disruptive[instance.definition, default: []].append((ordinal, change.wave, change.address))
        }
        for (definition, replicas) in disruptive {
            let byOrdinal = replicas.sorted { $0.ordinal < $1.ordinal }
            for (a, b) in zip(byOrdinal, byOrdinal.dropFirst()) where a.wave >= b.wave {
                fail("replicas of '\(definition)' do not roll: \(a.address) in wave \(a.wave), \(b.address) in wave \(b.wave)")
            }
        }
        return violations
    }

    /// The same value, its dictionaries rebuilt in another insertion order (so they iterate differently).
    static func reshuffled(_ stack: Stack) -> Stack {
        var copy = stack
        copy.networks = rebuilt(stack.networks)
        copy.volumes = rebuilt(stack.volumes)
        copy.vms = rebuilt(stack.vms.mapValues { var spec = $0; spec.labels = rebuilt(spec.labels); return spec })
        return copy
    }

    static func reshuffled(_ observed: ObservedState) -> ObservedState {
        var copy = observed
        copy.networks = rebuilt(observed.networks)
        copy.volumes = rebuilt(observed.volumes)
        copy.vms = rebuilt(observed.vms)
        return copy
    }

    static func rebuilt<V>(_ dictionary: [String: V]) -> [String: V] {
        var copy: [String: V] = [:]
        copy.reserveCapacity(dictionary.count * 4 + 7)
        for key in dictionary.keys.sorted().reversed() { copy[key] = dictionary[key] }
        return copy
    }
}

// MARK: - Shrinking

/// Greedy shrinking: drop resources and simplify specs while the same property still fails; the desired stack
/// stays valid (references to a dropped resource are removed with it).
enum Shrinker {
    static func shrink(_ scenario: Scenario, property: PlanProperty, rule: String = "") -> Scenario {
        var current = scenario
        func stillFails(_ candidate: Scenario) -> Bool {
            PlanProperties.check(candidate).contains { $0.property == property && $0.rule == rule }
        }
        var progress = true
        while progress {
            progress = false
            for candidate in candidates(current) where stillFails(candidate) {
                current = candidate
                progress = true
                break
            }
        }
        return current
    }

    static func candidates(_ s: Scenario) -> [Scenario] {
        var out: [Scenario] = []
        func with(_ edit: (inout Scenario) -> Void) { var copy = s; edit(&copy); out.append(copy) }
        if s.options.prune { with { $0.options.prune = false } }
        if s.options.pruneVolumes { with { $0.options.pruneVolumes = false } }
        for name in s.desired.vms.keys.sorted() {
            with { s in
                s.desired.vms[name] = nil
                for key in s.desired.vms.keys { s.desired.vms[key]!.dependsOn.removeAll { $0 == name } }
            }
        }
        for name in s.desired.networks.keys.sorted() {
            with { s in
                s.desired.networks[name] = nil
                for key in s.desired.vms.keys { s.desired.vms[key]!.networks.removeAll { $0.network == name } }
            }
        }
        for name in s.desired.volumes.keys.sorted() {
            with { s in
                s.desired.volumes[name] = nil
                for key in s.desired.vms.keys { s.desired.vms[key]!.disks.removeAll { $0.volume == name } }
            }
        }
        for name in s.observed.vms.keys.sorted() { with { $0.observed.vms[name] = nil } }
        for name in s.observed.networks.keys.sorted() { with { $0.observed.networks[name] = nil } }
        for name in s.observed.volumes.keys.sorted() { with { $0.observed.volumes[name] = nil } }
        for name in s.desired.vms.keys.sorted() {
            let spec = s.desired.vms[name]!
            if let replicas = spec.replicas, replicas > 0 { with { $0.desired.vms[name]!.replicas = replicas - 1 } }
            if !spec.labels.isEmpty { with { $0.desired.vms[name]!.labels = [:] } }
            if spec.kernel != nil { with { $0.desired.vms[name]!.kernel = nil } }
            if spec.readiness != ReadinessSpec() { with { $0.desired.vms[name]!.readiness = ReadinessSpec() } }
            if spec.backend != .auto { with { $0.desired.vms[name]!.backend = .auto } }
            if spec.runStrategy != .always { with { $0.desired.vms[name]!.runStrategy = .always } }
            if spec.cpus != 1 { with { $0.desired.vms[name]!.cpus = 1 } }
            if spec.memory != VMSpec.defaultMemory { with { $0.desired.vms[name]!.memory = VMSpec.defaultMemory } }
            for index in spec.networks.indices { with { $0.desired.vms[name]!.networks.remove(at: index) } }
            for index in spec.disks.indices { with { $0.desired.vms[name]!.disks.remove(at: index) } }
            for index in spec.dependsOn.indices { with { $0.desired.vms[name]!.dependsOn.remove(at: index) } }
        }
        for name in s.observed.vms.keys.sorted() {
            let vm = s.observed.vms[name]!
            if !vm.spec.labels.isEmpty { with { $0.observed.vms[name]!.spec.labels = [:] } }
            if vm.spec.kernel != nil { with { $0.observed.vms[name]!.spec.kernel = nil } }
            if vm.spec.readiness != ReadinessSpec() { with { $0.observed.vms[name]!.spec.readiness = ReadinessSpec() } }
            if vm.spec.cpus != 1 { with { $0.observed.vms[name]!.spec.cpus = 1 } }
            if vm.spec.memory != VMSpec.defaultMemory { with { $0.observed.vms[name]!.spec.memory = VMSpec.defaultMemory } }
            for index in vm.spec.networks.indices { with { $0.observed.vms[name]!.spec.networks.remove(at: index) } }
            for index in vm.spec.disks.indices { with { $0.observed.vms[name]!.spec.disks.remove(at: index) } }
            for index in vm.spec.dependsOn.indices { with { $0.observed.vms[name]!.spec.dependsOn.remove(at: index) } }
            if vm.exitStatus != nil || vm.signal != nil { with { $0.observed.vms[name]!.exitStatus = nil; $0.observed.vms[name]!.signal = nil } }
        }
        return out
    }
}
