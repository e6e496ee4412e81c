// Planning benchmark: a stack of N VMs against an observed state where 10% of the VMs differ.
// Usage: PlanBench [N...]   (default 100 1000 10000); prints one line per N with median and spread.
import Foundation
import Planner
import VMCtlModel

/// Deterministic generator (SplitMix64) so every run plans the same input.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

func makeInput(vms count: Int) -> (Stack, ObservedState) {
    var rng = SplitMix64(state: UInt64(count))
    let networkCount = max(1, count / 50)
    var networks: [String: NetworkSpec] = [:]
    for n in 0..<networkCount {
        let subnet = IPv4Subnet(network: IPv4Address(UInt32(10) << 24 | UInt32(n) << 8), prefixLength: 24)
        networks["net-\(n)"] = NetworkSpec(subnet: subnet)
    }
    var volumes: [String: VolumeSpec] = [:]
    var vms: [String: VMSpec] = [:]
    for i in 0..<count {
        let name = "vm-\(i)"
        volumes["data-\(i)"] = VolumeSpec(size: .gib(1))
        var spec = VMSpec(name: name, cpus: 1 + rng.below(2), memory: .mib(256 * UInt64(1 + rng.below(4))))
        spec.networks = [NICSpec(network: "net-\(i % networkCount)")]
        spec.disks = [DiskSpec(volume: "data-\(i)")]
        if i % 10 != 0 { spec.dependsOn = ["vm-\(i - i % 10)"] }   // groups of ten behind a leader
        spec.labels = ["group": "g\(i / 10)"]
        vms[name] = spec
    }
    let stack = Stack(name: "bench", host: HostBudget(cpus: 64, memory: .gib(4096), cpuOvercommit: 100),
                      networks: networks, volumes: volumes, vms: vms)
    var observed = ObservedState(stack: "bench")
    for (name, spec) in networks { observed.networks[name] = ObservedNetwork(name: name, spec: spec) }
    for (name, spec) in volumes { observed.volumes[name] = ObservedVolume(name: name, spec: spec, size: spec.size ?? .gib(1)) }
    for (name, spec) in vms { observed.vms[name] = ObservedVM(name: name, spec: spec, state: .running, backend: .qemu) }
    // 10% of the VMs differ, in a mix of ways: restart, live update, stopped, missing.
    for i in stride(from: 0, to: count, by: 10) {
        let name = "vm-\(i + 3)"
        switch (i / 10) % 4 {
        case 0: observed.vms[name]?.spec.memory = .mib(128)
        case 1: observed.vms[name]?.spec.labels["group"] = "old"
        case 2: observed.vms[name]?.state = .stopped
        default: observed.vms[name] = nil
        }
    }
    return (stack, observed)
}

func measure(vms count: Int, runs: Int) -> (median: Double, min: Double, max: Double, changes: Int) {
    let (stack, observed) = makeInput(vms: count)
    var times: [Double] = []
    var changes = 0
    _ = Planner.plan(desired: stack, observed: observed)   // warm-up
    for _ in 0..<runs {
        let start = ContinuousClock.now
        let plan = Planner.plan(desired: stack, observed: observed)
        let elapsed = ContinuousClock.now - start
        changes = plan.changes.count { $0.action != .noop }
        times.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
    }
    times.sort()
    return (times[times.count / 2], times[0], times[times.count - 1], changes)
}

let sizes = CommandLine.arguments.dropFirst().compactMap { Int($0) }
for count in sizes.isEmpty ? [100, 1000, 10000] : sizes {
    let runs = count >= 10000 ? 5 : 21
    let result = measure(vms: count, runs: runs)
    print(String(format: "plan %6d VMs (%5d changes): median %8.2f ms  (min %.2f, max %.2f, %d runs)",
                 count, result.changes, result.median, result.min, result.max, runs))
}
