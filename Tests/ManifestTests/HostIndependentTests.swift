import Manifest
import Testing
import VMCtlModel

/// `host: nil` (vmctl validate): the verdict depends on the manifest alone; with facts, plan's checks against the host.
@Suite("Host-independent validation")
struct HostIndependentTests {
    static let small = HostFacts(cpus: 2, memory: .gib(4))

    func load(_ text: String, host: HostFacts?) -> ManifestResult {
        ManifestLoader.load([ManifestSource(name: "stack.yaml", baseDirectory: "/m", text: text)], env: [:], host: host)
    }

    func stack(host hostLine: String, vms: String) -> String {
        """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: big}
        \(hostLine)
        vms:
          \(vms)
        """
    }

    @Test("host.cpus 64 and 48 vCPUs in 16-vCPU VMs: valid without facts, refused with the numbers on a 2-CPU host")
    func statedBudgetLargerThanThisHost() {
        let text = stack(host: "host: {cpus: 64, memory: 256GiB}", vms: "db: {cpus: 16, memory: 64GiB, replicas: 3}")
        let alone = load(text, host: nil)
        #expect(alone.isValid, "\(alone.diagnostics)")
        #expect(alone.stack?.host == HostBudget(cpus: 64, memory: .gib(256)))

        let here = load(text, host: Self.small)
        #expect(!here.isValid)
        #expect(here.stack == nil)
        let messages = here.diagnostics.map(\.message)
        #expect(messages.contains("host.cpus is 64 but this host has 2 CPUs"))
        #expect(messages.contains("host.memory is 256GiB but this host has 4GiB of RAM"))
    }

    @Test("without facts a VM's cpus is not compared with this machine's CPUs")
    func vmCPUsNotComparedWithoutFacts() {
        let text = stack(host: "", vms: "api: {cpus: 16, memory: 1GiB}")
        #expect(load(text, host: nil).isValid)
        let here = load(text, host: Self.small)
        #expect(here.diagnostics.map(\.message).contains("VM 'api' asks for 16 vCPUs but this host has 2 CPUs"))
    }

    @Test("without host in the manifest nothing is checked for capacity, and the budget is 0 (unknown)")
    func noStatedBudget() {
        let text = stack(host: "", vms: "web: {cpus: 8, memory: 64GiB, replicas: 20}")
        let alone = load(text, host: nil)
        #expect(alone.isValid, "\(alone.diagnostics)")
        #expect(alone.stack?.host == HostBudget(cpus: 0, memory: ByteSize(bytes: 0)))
        // The same manifest with this host's facts gets its defaults and fails them.
        #expect(!load(text, host: Self.small).isValid)
    }

    @Test("a stated host.cpus is checked without facts; memory, not stated, is not")
    func statedCPUsOnly() {
        let text = stack(host: "host: {cpus: 2}", vms: "web: {cpus: 1, memory: 64GiB, replicas: 9}")
        let result = load(text, host: nil)
        #expect(result.diagnostics.count == 1)
        let message = result.diagnostics.first?.message ?? ""
        #expect(message.hasPrefix("the VMs need 9 vCPUs, more than the host offers: 8 (host.cpus 2 × overcommit.cpu 4.0)"), "\(message)")
        #expect(result.diagnostics.first?.location == SourceLocation(file: "stack.yaml", line: 4, column: 1))
    }

    @Test("a stated host.memory is checked without facts; cpus, not stated, is not")
    func statedMemoryOnly() {
        let text = stack(host: "host: {memory: 1GiB}", vms: "web: {cpus: 200, memory: 512MiB, replicas: 3}")
        let result = load(text, host: nil)
        #expect(result.diagnostics.map(\.message).count == 1)
        #expect(result.diagnostics.first?.message.hasPrefix("the VMs need 1.5GiB of memory, more than the host offers: 1GiB") == true,
                "\(result.diagnostics)")
    }

    @Test("checks that need no host still run without facts: kvm's vCPU limit")
    func kvmLimitStillChecked() {
        let text = stack(host: "", vms: "api: {cpus: 12, memory: 1GiB, backend: kvm}")
        #expect(load(text, host: nil).diagnostics.map(\.message) == ["VM 'api' asks for 12 vCPUs; the kvm backend supports at most 8"])
    }
}
