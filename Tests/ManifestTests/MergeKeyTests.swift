import Manifest
import Testing
import VMCtlModel

/// YAML merge keys (`<<: *defaults`) and other plain keys whose implicit tag Yams resolves (timestamps, `=`).
@Suite("Merge keys")
struct MergeKeyTests {
    static let host = HostFacts(cpus: 8, memory: .gib(16))

    func load(_ text: String) -> ManifestResult {
        ManifestLoader.load([ManifestSource(name: "stack.yaml", baseDirectory: "/m", text: text)], env: [:], host: Self.host)
    }

    @Test("a merge key copies the fields it does not override")
    func merge() throws {
        let result = load("""
            apiVersion: vmctl/v1
            kind: Stack
            metadata: {name: m}
            vms:
              web: &defaults {cpus: 2, memory: 512MiB}
              api:
                <<: *defaults
                memory: 1GiB
              worker:
                <<: [*defaults, {backend: qemu}]
            """)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let stack = try #require(result.stack)
        #expect(stack.vms["api"]?.cpus == 2)
        #expect(stack.vms["api"]?.memory == .gib(1))
        #expect(stack.vms["worker"]?.cpus == 2)
        #expect(stack.vms["worker"]?.backend == .qemu)
    }

    @Test("a quoted \"<<\" is an ordinary key, not a merge")
    func quoted() {
        let result = load("""
            apiVersion: vmctl/v1
            kind: Stack
            metadata: {name: m}
            vms:
              web: {"<<": {cpus: 2}}
            """)
        #expect(result.diagnostics.hasErrors)
        #expect(!result.diagnostics.contains { $0.message.contains("YAML tag") })
    }

    @Test("plain keys that look like timestamps or '=' are read as text")
    func resolvedKeys() {
        let result = load("""
            apiVersion: vmctl/v1
            kind: Stack
            metadata: {name: m}
            vms:
              web:
                labels: {2024-01-01: x, =: y}
            """)
        #expect(!result.diagnostics.contains { $0.message.contains("YAML tag") }, "\(result.diagnostics)")
    }
}
