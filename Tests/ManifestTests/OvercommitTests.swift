import Manifest
import Testing
import VMCtlModel

/// host.overcommit takes any positive number (decisions.md), so a small host can declare a stack of many small VMs.
@Suite("Overcommit")
struct OvercommitTests {
    static let host = HostFacts(cpus: 2, memory: .gib(16))

    func load(cpu: String, memory: String, replicas: Int = 1000) -> ManifestResult {
        let text = """
            apiVersion: vmctl/v1
            kind: Stack
            metadata: {name: many}
            host: {cpus: 2, memory: 16GiB, overcommit: {cpu: \(cpu), memory: \(memory)}}
            vms:
              small: {replicas: \(replicas), memory: 64MiB}
            """
        return ManifestLoader.load([ManifestSource(name: "stack.yaml", baseDirectory: "/m", text: text)], env: [:], host: Self.host)
    }

    @Test("1,000 one-vCPU VMs fit 2 CPUs with overcommit.cpu 500")
    func large() {
        let result = load(cpu: "500", memory: "4.0")
        #expect(result.isValid, "\(result.diagnostics)")
        #expect(result.stack?.host.vcpuLimit == 1000)
    }

    @Test("an overcommit too large for a byte count saturates instead of trapping")
    func huge() {
        let result = load(cpu: "1e300", memory: "1e300")
        #expect(result.isValid, "\(result.diagnostics)")
        #expect(result.stack?.host.memoryLimit == .max)
    }

    @Test("zero and negative overcommit are still rejected")
    func nonPositive() {
        // The capacity check then runs with the default factor, so more errors follow.
        #expect(load(cpu: "0", memory: "1").diagnostics.map(\.message).contains("host.overcommit.cpu must be greater than 0, found 0"))
        #expect(load(cpu: "1000", memory: "-1").diagnostics.map(\.message).contains("host.overcommit.memory must be greater than 0, found -1"))
    }
}
