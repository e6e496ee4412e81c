import Foundation
import Planner
import Testing
import VMCtlModel

@Suite("vmctl plan")
struct PlanCommandTests {
    /// A fresh, empty state directory and a manifest of one VM, `hello`, in stack `quickstart`.
    func stateDir(recording state: String? = nil) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vmctl-plan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try hello.write(to: dir.appendingPathComponent("hello.yaml"), atomically: true, encoding: .utf8)
        if let state { try state.write(to: dir.appendingPathComponent("observed.json"), atomically: true, encoding: .utf8) }
        return dir
    }

    let hello = """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: quickstart}
        vms:
          hello: {cpus: 1, memory: 256MiB}

        """

    let running = """
        {"stack": "quickstart", "vms": {"hello": {"name": "hello", "state": "running", "backend": "qemu",
          "spec": {"name": "hello", "cpus": 1, "memory": 268435456}}}}
        """

    @Test("a new stack plans creates; --detailed-exitcode exits 2 when there are changes")
    func createsAndDetailedExitCode() throws {
        let dir = try stateDir()
        let plain = try VMCtlProcess.run(["plan", "--state-dir", dir.path, dir.appendingPathComponent("hello.yaml").path])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.contains("+ vm.hello: create"))
        #expect(plain.stdout.hasSuffix("Plan: 1 to create, 0 to delete.\n"))
        let detailed = try VMCtlProcess.run(["plan", "--detailed-exitcode", "--state-dir", dir.path, dir.appendingPathComponent("hello.yaml").path])
        #expect(detailed.status == 2)
    }

    @Test("a host that matches the manifest plans no changes and exits 0 with --detailed-exitcode")
    func noChanges() throws {
        let dir = try stateDir(recording: running)
        let result = try VMCtlProcess.run(["plan", "--detailed-exitcode", "--observed", dir.appendingPathComponent("observed.json").path,
                                           dir.appendingPathComponent("hello.yaml").path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("No changes. Stack \"quickstart\" matches the manifest."))
    }

    @Test("VMCTL_STATE_DIR is read when --state-dir is absent: a recorded, stopped VM is started, not created")
    func stateDirFromEnvironment() throws {
        let dir = try stateDir()
        let vmFolder = dir.appendingPathComponent("stacks/quickstart/vms/hello")
        try FileManager.default.createDirectory(at: vmFolder, withIntermediateDirectories: true)
        let record = """
            {"name": "hello", "stack": "quickstart", "backend": "qemu", "backendReason": "test",
             "spec": {"name": "hello", "cpus": 1, "memory": 268435456}}
            """
        try record.write(to: vmFolder.appendingPathComponent("vm.json"), atomically: true, encoding: .utf8)
        let result = try VMCtlProcess.run(["plan", dir.appendingPathComponent("hello.yaml").path], env: ["VMCTL_STATE_DIR": dir.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("▶ vm.hello: start"), "\(result.stdout)")
    }

    @Test("-o json prints the plan with summary, waves and changes")
    func json() throws {
        let dir = try stateDir()
        let result = try VMCtlProcess.run(["plan", "-o", "json", "--state-dir", dir.path, "examples/three-tier.yaml"])
        // three-tier: 2 networks, 2 volumes, 4 VMs
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["stack"] as? String == "shop")
        #expect(object["hasChanges"] as? Bool == true)
        #expect((object["summary"] as? [String: Int])?["create"] == 8)
        let waves = try #require(object["waves"] as? [[String]])
        #expect(waves.first?.contains("network.back") == true)
        #expect(waves.last == ["vm.web-0", "vm.web-1"])
    }

    @Test("--out saves a plan that verifies against the same state and is stale once the host changes")
    func savedPlanStaleness() throws {
        let dir = try stateDir(recording: running)
        let file = dir.appendingPathComponent("plan.json")
        let result = try VMCtlProcess.run(["plan", "--out", file.path, "--observed", dir.appendingPathComponent("observed.json").path,
                                           dir.appendingPathComponent("hello.yaml").path])
        #expect(result.status == 0, "\(result.stderr)")
        let saved = try JSONDecoder().decode(SavedPlan.self, from: Data(contentsOf: file))
        #expect(saved.desired.name == "quickstart")
        var observed = try JSONDecoder().decode(ObservedState.self, from: Data(running.utf8))
        try saved.verify(against: observed)
        observed.vms["hello"]?.state = .crashed
        #expect(throws: SavedPlan.StalePlan.self) { try saved.verify(against: observed) }
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("an unreadable VM record is an error naming the file, and the file is left untouched")
    func corruptState() throws {
        let dir = try stateDir()
        let vmFolder = dir.appendingPathComponent("stacks/quickstart/vms/hello")
        try FileManager.default.createDirectory(at: vmFolder, withIntermediateDirectories: true)
        try "{ not json".write(to: vmFolder.appendingPathComponent("vm.json"), atomically: true, encoding: .utf8)
        let result = try VMCtlProcess.run(["plan", "--state-dir", dir.path, dir.appendingPathComponent("hello.yaml").path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("stacks/quickstart/vms/hello/vm.json"), "\(result.stderr)")
        let after = try String(contentsOf: vmFolder.appendingPathComponent("vm.json"), encoding: .utf8)
        #expect(after == "{ not json")
    }

    @Test("an invalid manifest stops plan with its diagnostics (exit 1)")
    func invalidManifest() throws {
        let result = try VMCtlProcess.run(["plan", "--state-dir", try stateDir().path, "-"], stdin: "apiVersion: vmctl/v1\nkind: Stack\n")
        #expect(result.status == 1)
        #expect(result.stderr.contains("<stdin>:1:1: error: a Stack document is missing the required field 'metadata'"))
    }

    @Test("a plan that exceeds the host budget is refused with the numbers (exit 1)")
    func capacityRefusal() throws {
        // The manifest fits (the validator counts every VM), but a VM kept outside the manifest still runs.
        let state = """
            {"stack": "quickstart", "vms": {"old": {"name": "old", "state": "running", "backend": "qemu",
              "spec": {"name": "old", "cpus": 1, "memory": 268435456}}}}
            """
        let manifest = """
            apiVersion: vmctl/v1
            kind: Stack
            metadata: {name: quickstart}
            host: {cpus: 1, memory: 512MiB, overcommit: {cpu: 1.0}}
            vms:
              hello: {cpus: 1, memory: 256MiB}

            """
        let dir = try stateDir(recording: state)
        let result = try VMCtlProcess.run(["plan", "--observed", dir.appendingPathComponent("observed.json").path, "-"], stdin: manifest)
        #expect(result.status == 1, "\(result.stdout)")
        #expect(result.stderr.contains("plan refused: the stack would run 2 vCPUs but may use 1 (now 1)"), "\(result.stderr)")
    }
}
