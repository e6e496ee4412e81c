import Testing
import VMCtlModel

@Suite("Resource names and replicas")
struct NameTests {
    @Test("DNS labels are accepted", arguments: ["a", "web", "web-0", "0db", String(repeating: "a", count: 63)])
    func valid(_ name: String) {
        #expect(ResourceName.problem(with: name) == nil)
    }

    @Test("bad names are explained", arguments: [
        ("", "is empty"), ("Web", "uppercase"), ("web_1", "'_'"), ("-web", "start and end"), ("web-", "start and end"),
        (String(repeating: "a", count: 64), "64 characters"), ("wéb", "only lowercase"),
    ])
    func invalid(_ name: String, _ fragment: String) {
        let problem = ResourceName.problem(with: name)
        #expect(problem?.contains(fragment) == true, "\(name): \(problem ?? "nil")")
    }

    @Test("replicas expand to indexed names; no replicas keeps the name")
    func replicas() {
        #expect(VMSpec.instanceNames(of: "web", replicas: nil) == ["web"])
        #expect(VMSpec.instanceNames(of: "web", replicas: 1) == ["web-0"])
        #expect(VMSpec.instanceNames(of: "web", replicas: 3) == ["web-0", "web-1", "web-2"])
        #expect(VMSpec.instanceNames(of: "web", replicas: 0) == [])
        let stack = Stack(name: "s", host: HostBudget(cpus: 2, memory: .gib(1)),
                          vms: ["web": VMSpec(name: "web", replicas: 2), "db": VMSpec(name: "db")])
        #expect(stack.instances.map(\.name) == ["db", "web-0", "web-1"])
        #expect(stack.instances.map(\.ordinal) == [nil, 0, 1])
    }
}
