import Foundation
@testable import Planner
import Testing
import VMCtlModel

/// Property tests of the planner over seeded random (desired, observed, options) triples; see ConvergenceSupport.
/// A failing property is shrunk and printed (one resource a line, as JSON); pin it below as a named regression test once fixed.
/// `VMCTL_PROPERTY_SEEDS=N` runs N scenarios instead of the default.
@Suite("Planner properties")
struct ConvergenceTests {
    static let scenarioCount = ProcessInfo.processInfo.environment["VMCTL_PROPERTY_SEEDS"].flatMap { Int($0) } ?? 600
    static let baseSeed: UInt64 = 0x766D_6374_6C00_0000 // "vmctl"

    static func seeds(_ count: Int = scenarioCount, offset: UInt64 = 0) -> [UInt64] {
        (0..<UInt64(count)).map { baseSeed &+ offset &+ $0 }
    }

    @Test("every property holds on random scenarios (convergence, pruning safety, waves, determinism)")
    func properties() {
        var firstFailure: [String: (Scenario, Violation)] = [:]
        var tally: [String: Int] = [:]
        var failures = 0
        var stats = (applicable: 0, withChanges: 0, deletes: 0, volumeDeletes: 0, refusals: 0)
        var actions: Set<Action> = []
        for seed in Self.seeds() {
            let scenario = ScenarioGenerator.scenario(seed: seed)
            let plan = Planner.plan(desired: scenario.desired, observed: scenario.observed, options: scenario.options)
            if plan.isApplicable { stats.applicable += 1 } else { stats.refusals += 1 }
            if plan.hasChanges { stats.withChanges += 1 }
            if plan.count(.delete) > 0 { stats.deletes += 1 }
            if plan.changes.contains(where: { $0.address.kind == .volume && $0.action == .delete }) { stats.volumeDeletes += 1 }
            actions.formUnion(plan.changes.map(\.action))
            let violations = PlanProperties.check(scenario)
            if !violations.isEmpty { failures += 1 }
            for violation in violations {
                let key = violation.property.rawValue + " " + violation.rule
                tally[key, default: 0] += 1
                if firstFailure[key] == nil { firstFailure[key] = (scenario, violation) }
            }
        }
        for (key, (scenario, violation)) in firstFailure.sorted(by: { $0.key < $1.key }) {
            let small = Shrinker.shrink(scenario, property: violation.property, rule: violation.rule)
            let shown = PlanProperties.check(small).first { $0.property == violation.property && $0.rule == violation.rule } ?? violation
            Issue.record("\(tally[key] ?? 0) violations; first at seed \(scenario.seed): \(shown)\nshrunk counterexample:\n\(small)")
        }
        #expect(failures == 0, "\(failures) of \(Self.scenarioCount) scenarios break a property")
        // The generator must reach the interesting cases, or the properties hold vacuously.
        #expect(actions == Set(Action.allCases), "actions never generated: \(Set(Action.allCases).subtracting(actions))")
        #expect(stats.applicable > Self.scenarioCount / 2 && stats.withChanges > Self.scenarioCount / 2)
        let n = Self.scenarioCount
        #expect(stats.deletes > n / 30 && stats.volumeDeletes > n / 60 && stats.refusals > n / 120, "\(stats)")
    }

    @Test("capacity: now and after match the state before and after applying; only a plan rising over the limit (at its end or its peak) is refused")
    func capacity() {
        var refused = 0, lowering = 0
        for seed in Self.seeds(500, offset: 1 << 32) {
            var rng = SplitMix64(seed: seed)
            let budget = HostBudget(cpus: rng.int(1...8), memory: .gib(UInt64(rng.int(1...6))),
                                    cpuOvercommit: rng.pick([1, 2, 4]), memoryOvercommit: rng.pick([1, 1.5]))
            let scenario = ScenarioGenerator.scenario(seed: seed, host: budget)
            let plan = Planner.plan(desired: scenario.desired, observed: scenario.observed, options: scenario.options)
            let before = FakeExecutor.usage(scenario.observed)
            let after = FakeExecutor.usage(FakeExecutor.apply(plan, desired: scenario.desired, to: scenario.observed))
            let cap = plan.capacity
            let label = "seed \(seed)"
            #expect(cap.vcpus.now == before.cpus && cap.memory.now == before.memory, "\(label): now \(cap) but the host uses \(before)")
            #expect(cap.vcpus.after == after.cpus && cap.memory.after == after.memory, "\(label): after \(cap) but applying gives \(after)")
            #expect(cap.vcpus.limit == budget.vcpuLimit && cap.memory.limit == Double(budget.memoryLimit))
            // Refused when the end state, or the peak while the waves run, exceeds both the limit and now.
            let cpuOver = (cap.vcpus.after > cap.vcpus.limit && cap.vcpus.after > cap.vcpus.now)
                || (cap.vcpus.peak > cap.vcpus.limit && cap.vcpus.peak > cap.vcpus.now)
            let memoryOver = (cap.memory.after > cap.memory.limit && cap.memory.after > cap.memory.now)
                || (cap.memory.peak > cap.memory.limit && cap.memory.peak > cap.memory.now)
            let capacityRefusals = plan.refusals.filter { $0.address == nil }.count
            #expect(capacityRefusals == (cpuOver ? 1 : 0) + (memoryOver ? 1 : 0), "\(label): \(plan.refusals) for \(cap)")
            if capacityRefusals > 0 { refused += 1 }
            if cap.vcpus.peak <= cap.vcpus.now && cap.memory.peak <= cap.memory.now {
                lowering += 1
                #expect(capacityRefusals == 0, "\(label): a plan that never uses more than now was refused: \(plan.refusals)")
            }
        }
        #expect(refused > 20 && lowering > 20, "refused \(refused), lowering \(lowering)")
    }

    /// A bring-up change that lowers a VM's use (a restart to less memory, a replace that leaves the VM stopped) may
    /// run in the same wave as, or after, a start or create; the planner counts that peak and refuses plans whose
    /// peak exceeds both now and the limit.
    @Test("capacity: an accepted plan never runs more than max(now, after, limit) while its waves run")
    func capacityDuringWaves() {
        do {
            for seed in Self.seeds(2000, offset: 1 << 32) {
                var rng = SplitMix64(seed: seed)
                let budget = HostBudget(cpus: rng.int(1...8), memory: .gib(UInt64(rng.int(1...6))),
                                        cpuOvercommit: rng.pick([1, 2, 4]), memoryOvercommit: rng.pick([1, 1.5]))
                let scenario = ScenarioGenerator.scenario(seed: seed, host: budget)
                let plan = Planner.plan(desired: scenario.desired, observed: scenario.observed, options: scenario.options)
                guard plan.isApplicable else { continue }
                let peak = Self.peakMemory(plan, scenario: scenario)
                let memory = plan.capacity.memory
                #expect(peak <= max(memory.now, memory.after, memory.limit),
                        "seed \(seed): memory peaks at \(peak) while now is \(memory.now), after \(memory.after), limit \(memory.limit)")
            }
        }
    }

    /// The most memory in use at any time while the plan runs wave by wave, counting every change of a wave at
    /// the larger of its VM's use before and after (changes of one wave run in parallel).
    static func peakMemory(_ plan: Plan, scenario: Scenario) -> Double {
        let final = FakeExecutor.apply(plan, desired: scenario.desired, to: scenario.observed)
        func use(_ vm: ObservedVM?) -> Double { vm.map { $0.state.holdsResources ? Double($0.spec.memory.bytes) : 0 } ?? 0 }
        var current: [String: Double] = scenario.observed.vms.mapValues { use($0) }
        var peak = current.values.reduce(0, +)
        for wave in plan.waves {
            var during = current
            for address in wave where address.kind == .vm {
                let after = use(final.vms[address.name])
                during[address.name] = max(current[address.name] ?? 0, after)
                current[address.name] = after
            }
            peak = max(peak, during.values.reduce(0, +))
        }
        return peak
    }

    @Test("the generator is deterministic and its stacks are valid")
    func generator() {
        for seed in Self.seeds(50) {
            let a = ScenarioGenerator.scenario(seed: seed), b = ScenarioGenerator.scenario(seed: seed)
            #expect(a.desired == b.desired && a.observed == b.observed && a.options == b.options)
            let stack = a.desired
            var written: [String: Int] = [:]
            for spec in stack.vms.values {
                #expect(spec.networks.allSatisfy { stack.networks[$0.network] != nil })
                #expect(spec.disks.allSatisfy { stack.volumes[$0.volume] != nil })
                #expect(spec.dependsOn.allSatisfy { stack.vms[$0] != nil && $0 != spec.name })
                for disk in spec.disks where !disk.readOnly { written[disk.volume, default: 0] += spec.replicas ?? 1 }
            }
            #expect(written.values.allSatisfy { $0 <= 1 }, "a volume is written by two VMs")
            #expect(!hasCycle(stack), "dependsOn has a cycle")
            #expect(Set(stack.instances.map(\.name)).count == stack.instances.count, "instance names collide")
        }
        var rng = SplitMix64(seed: 1)
        #expect(rng.next() == 0x910A_2DEC_8902_5CC1) // the published first SplitMix64 output for seed 1
    }

    func hasCycle(_ stack: Stack) -> Bool {
        var state: [String: Int] = [:] // 1 visiting, 2 done
        func visit(_ name: String) -> Bool {
            if state[name] == 1 { return true }
            if state[name] == 2 { return false }
            state[name] = 1
            let cyclic = (stack.vms[name]?.dependsOn ?? []).contains { visit($0) }
            state[name] = 2
            return cyclic
        }
        return stack.vms.keys.contains { visit($0) }
    }
}

/// Shrunk counterexamples the property test found, pinned by name. Each must keep every property.
@Suite("Planner property regressions")
struct PropertyRegressionTests {
    static let host = ScenarioGenerator.hugeBudget

    static func vm(_ name: String, _ spec: VMSpec, _ state: PowerState, backend: BackendKind = .kvm) -> ObservedVM {
        ObservedVM(name: name, spec: spec, state: state, backend: backend)
    }

    /// Checks every property and returns the plan.
    @discardableResult
    static func check(_ desired: Stack, _ observed: ObservedState, _ options: PlanOptions = PlanOptions()) -> Plan {
        let scenario = Scenario(seed: 0, desired: desired, observed: observed, options: options)
        for violation in PlanProperties.check(scenario) { Issue.record("\(violation)") }
        return Planner.plan(desired: desired, observed: observed, options: options)
    }

    static func change(_ plan: Plan, _ address: String) -> Change? { plan.changes.first { $0.address.description == address } }

    // Seed 0x766D6374_6C00000A. --prune-volumes without --prune deleted a volume under a kept VM that still used it.
    @Test("--prune-volumes keeps a volume a kept VM (no --prune) still uses")
    func pruneVolumesKeepsVolumeOfKeptVM() {
        let old = VMSpec(name: "old", replicas: 2, disks: [DiskSpec(volume: "pgdata")], runStrategy: .halted)
        let observed = ObservedState(stack: "prop", vms: ["old-0": Self.vm("old-0", old, .running)],
                                     volumes: ["pgdata": ObservedVolume(name: "pgdata", spec: VolumeSpec(size: .gib(1), filesystem: .ext4), size: .gib(1))])
        let plan = Self.check(Stack(name: "prop", host: Self.host), observed, PlanOptions(pruneVolumes: true))
        #expect(Self.change(plan, "volume.pgdata") == nil)
        #expect(plan.kept.map(\.address.description) == ["volume.pgdata", "vm.old-0"])
    }

    // Seed 0x766D6374_6C00000C. With web-1 unchanged, web-0 and web-2 restarted in the same wave: two replicas down.
    @Test("a rolling restart skips a replica with nothing to do and still takes one replica at a time")
    func rollingRestartSkipsUnchangedReplica() {
        let web = VMSpec(name: "web", replicas: 3, memory: .mib(512))
        var old = web
        old.memory = .mib(256)
        let observed = ObservedState(stack: "prop", vms: [
            "web-0": Self.vm("web-0", old, .running), "web-1": Self.vm("web-1", web, .running), "web-2": Self.vm("web-2", old, .running),
        ])
        let plan = Self.check(Stack(name: "prop", host: Self.host, vms: ["web": web]), observed)
        #expect(Self.change(plan, "vm.web-0")?.action == .restart && Self.change(plan, "vm.web-2")?.action == .restart)
        #expect(Self.change(plan, "vm.web-0")?.wave == 1 && Self.change(plan, "vm.web-2")?.wave == 2)
    }

    // Seed 0x766D6374_6C000056. The volume was deleted in wave 1 while cache-2 still had it attached (replaced in wave 3).
    @Test("a pruned volume is deleted only after the staying VM that uses it has detached it")
    func prunedVolumeDeletedAfterDetach() {
        let cache = VMSpec(name: "cache", replicas: 3)
        var old = cache
        old.disks = [DiskSpec(volume: "orphan", readOnly: true)]
        let observed = ObservedState(stack: "prop", vms: ["cache-2": Self.vm("cache-2", old, .paused)],
                                     volumes: ["orphan": ObservedVolume(name: "orphan", spec: VolumeSpec(size: .mib(256)), size: .mib(256))])
        let plan = Self.check(Stack(name: "prop", host: Self.host, vms: ["cache": cache]), observed, PlanOptions(pruneVolumes: true))
        let replace = Self.change(plan, "vm.cache-2"), delete = Self.change(plan, "volume.orphan")
        #expect(replace?.action == .replace && delete?.action == .delete && delete?.impact == .dataLoss)
        #expect((replace?.wave ?? 0) < (delete?.wave ?? 0))
    }

    // The same for networks: the NIC must be gone before its network is.
    @Test("a pruned network is deleted only after the staying VM attached to it has restarted without it")
    func prunedNetworkDeletedAfterDetach() {
        let app = VMSpec(name: "app")
        var old = app
        old.networks = [NICSpec(network: "legacy-net")]
        let observed = ObservedState(stack: "prop", vms: ["app": Self.vm("app", old, .running)],
                                     networks: ["legacy-net": ObservedNetwork(name: "legacy-net", spec: NetworkSpec(subnet: ScenarioGenerator.subnet(200)))])
        let plan = Self.check(Stack(name: "prop", host: Self.host, vms: ["app": app]), observed, PlanOptions(prune: true))
        #expect(Self.change(plan, "vm.app")?.action == .restart)
        #expect((Self.change(plan, "vm.app")?.wave ?? 0) < (Self.change(plan, "network.legacy-net")?.wave ?? 0))
    }

    // Seed 0x766D6374_6C000211. Observed specs applied at different times may depend on each other in a cycle; the
    // planner must still delete both (the property test skips ordering inside such a cycle).
    @Test("VMs whose recorded dependsOn forms a cycle are still torn down")
    func observedDependencyCycle() {
        let db = VMSpec(name: "db", replicas: 2, dependsOn: ["queue"]), queue = VMSpec(name: "queue", replicas: 3, dependsOn: ["db"])
        let observed = ObservedState(stack: "prop", vms: ["db-1": Self.vm("db-1", db, .starting), "queue-2": Self.vm("queue-2", queue, .starting)])
        let desired = Stack(name: "prop", host: Self.host, vms: ["db": VMSpec(name: "db", replicas: 0), "queue": VMSpec(name: "queue", replicas: 0)])
        let plan = Self.check(desired, observed)
        #expect(plan.changes.map(\.action) == [.delete, .delete])
        #expect(plan.changes.allSatisfy { $0.wave >= 1 })
    }

    // Writer-before-reader ordering meets dependsOn and rolling restarts (found by the property tests while adding it):
    // where the two disagree the writer edge is dropped instead of forming a cycle, so the waves stay valid.
    @Test("a VM booting with a volume waits for its current writer's restart, unless dependsOn or rolling order says otherwise")
    func readerWaitsForWriterUnlessThatWouldCycle() {
        let volume = ObservedVolume(name: "media", spec: VolumeSpec(size: .gib(1)), size: .gib(1))
        let writerNow = VMSpec(name: "app", disks: [DiskSpec(volume: "media")])
        var writerNext = writerNow
        writerNext.disks[0].readOnly = true
        let reader = VMSpec(name: "reader", disks: [DiskSpec(volume: "media", readOnly: true)])
        let observed = ObservedState(stack: "prop", vms: ["app": Self.vm("app", writerNow, .running)], volumes: ["media": volume])
        let desired = Stack(name: "prop", host: Self.host, volumes: ["media": VolumeSpec(size: .gib(1))],
                            vms: ["app": writerNext, "reader": reader])
        let plan = Self.check(desired, observed)
        #expect((Self.change(plan, "vm.app")?.wave ?? 0) < (Self.change(plan, "vm.reader")?.wave ?? 0), "\(plan.changes)")

        // The writer depends on the reader: dependsOn wins, and the plan still orders every change.
        var dependent = writerNext
        dependent.dependsOn = ["reader"]
        let cyclic = Self.check(Stack(name: "prop", host: Self.host, volumes: ["media": VolumeSpec(size: .gib(1))],
                                      vms: ["app": dependent, "reader": reader]), observed)
        #expect((Self.change(cyclic, "vm.reader")?.wave ?? 0) < (Self.change(cyclic, "vm.app")?.wave ?? 0), "\(cyclic.changes)")
    }
}
