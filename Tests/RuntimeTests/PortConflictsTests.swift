import Foundation
import Testing
import VMCtlModel
@testable import Runtime

/// Forwarded host ports against what the host's state folder records and what is bound now.
@Suite("PortConflicts")
struct PortConflictsTests {
    func stateFolder(claims: [(stack: String, vm: String, ports: [PortForward], ssh: Int?)]) throws -> StateDirectory {
        let state = StateDirectory(path: NSTemporaryDirectory() + "vmctl-ports-" + UUID().uuidString.prefix(8))
        for claim in claims {
            let paths = StackPaths(stateDirectory: state, stack: claim.stack).vm(claim.vm)
            try FileManager.default.createDirectory(atPath: paths.directory, withIntermediateDirectories: true)
            var record = VMRecord(name: claim.vm, stack: claim.stack, backend: .qemu, backendReason: "test",
                                  spec: VMSpec(name: claim.vm, image: ImageSpec(path: "/i.qcow2"), ports: claim.ports))
            record.sshPort = claim.ssh
            try JSONEncoder().encode(record).write(to: URL(fileURLWithPath: paths.record))
        }
        return state
    }

    func stack(_ vms: [String: [PortForward]]) -> Stack {
        var specs: [String: VMSpec] = [:]
        for (name, ports) in vms { specs[name] = VMSpec(name: name, image: ImageSpec(path: "/i.qcow2"), ports: ports) }
        return Stack(name: "shop", host: HostBudget(cpus: 8, memory: .gib(8)), networks: [:], volumes: [:], vms: specs)
    }

    @Test("a port another stack forwards (or its SSH forward) is refused, naming that stack and VM")
    func otherStack() throws {
        let state = try stateFolder(claims: [("other", "db", [PortForward(host: 8080, guest: 80)], 40022)])
        defer { try? FileManager.default.removeItem(atPath: state.path) }
        let problems = PortConflicts.check(stack(["web": [PortForward(host: 8080, guest: 8000), PortForward(host: 40022, guest: 22)]]),
                                           stateDirectory: state, isFree: { _ in true })
        #expect(problems.map(\.index) == [0, 1])
        #expect(problems.first?.message == "host port tcp 127.0.0.1:8080 is already forwarded by VM 'db' of stack 'other'")
    }

    @Test("0.0.0.0 conflicts with every address; udp and tcp do not conflict")
    func addresses() throws {
        let state = try stateFolder(claims: [("other", "db", [PortForward(host: 53, guest: 53, protocol: .udp, address: IPv4Address(0))], nil)])
        defer { try? FileManager.default.removeItem(atPath: state.path) }
        let udp = PortConflicts.check(stack(["dns": [PortForward(host: 53, guest: 53, protocol: .udp)]]), stateDirectory: state, isFree: { _ in true })
        #expect(udp.count == 1)
        let tcp = PortConflicts.check(stack(["dns": [PortForward(host: 53, guest: 53, protocol: .tcp)]]), stateDirectory: state, isFree: { _ in true })
        #expect(tcp.isEmpty)
    }

    @Test("a VM's own forward (held by its running QEMU) is not a conflict; a taken port nobody claims is")
    func ownAndTaken() throws {
        let state = try stateFolder(claims: [("shop", "web", [PortForward(host: 8080, guest: 80)], nil)])
        defer { try? FileManager.default.removeItem(atPath: state.path) }
        let own = PortConflicts.check(stack(["web": [PortForward(host: 8080, guest: 80)]]), stateDirectory: state, isFree: { _ in false })
        #expect(own.isEmpty)
        let taken = PortConflicts.check(stack(["web": [PortForward(host: 8080, guest: 80), PortForward(host: 9090, guest: 90)]]),
                                        stateDirectory: state, isFree: { $0.host != 9090 })
        #expect(taken.map(\.message) == ["host port tcp 127.0.0.1:9090 is in use on this host"])
        // Moving a forward to another VM in one apply is refused: the new VM could start before the old one lets go.
        let moved = PortConflicts.check(stack(["api": [PortForward(host: 8080, guest: 80)], "web": []]), stateDirectory: state, isFree: { _ in false })
        #expect(moved.map(\.message) == ["host port tcp 127.0.0.1:8080 is already forwarded by VM 'web'"])
    }
}
