import Foundation
import Testing

/// A corrupt or unreadable `vm.json` blocks only the VM it describes: plan and apply go on with the rest of the stack,
/// stop and destroy can still end its VMM (found by the wrapper's pid file and its start time), and no file is
/// deleted without saying so. The VMMs here are stand-ins started under vmctl's own wrapper.
@Suite("A damaged vm.json")
struct DamagedStateTests {
    static let broken = "{\"name\": \"db\", \"stack\": \"shop\", \"backend\": \"qemu\", \"spec\": {\"cpus\": 1,"

    static func manifest(halted: Bool) -> String {
        let kernel = halted ? ", runStrategy: Halted, kernel: {image: \(HaltedVMHost.kernel ?? "")}" : ""
        return """
            apiVersion: vmctl/v1
            kind: Stack
            metadata: {name: shop}
            vms:
              db: {cpus: 1, memory: 128MiB\(kernel)}
              api: {cpus: 1, memory: 128MiB, dependsOn: [db]\(kernel)}
              web: {cpus: 1, memory: 128MiB\(kernel)}

            """
    }

    @Test("plan: only that VM is refused, with the file and what to do; the rest of the stack still plans")
    func planBlocksOnlyThatVM() throws {
        let state = try FakeStateFolder()
        try state.addRecord("shop", "db", Self.broken)
        let file = state.vmFolder("shop", "db") + "/vm.json"
        let manifest = try state.write(Self.manifest(halted: false), to: "shop.yaml")
        let plan = try state.vmctl("plan", manifest)
        #expect(plan.status == 1, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("+ vm.web: create"), "\(plan.stdout)")
        #expect(plan.stdout.contains("+ vm.api: create"), "\(plan.stdout)")
        #expect(!plan.stdout.contains("+ vm.db: create"), "\(plan.stdout)")
        #expect(plan.stderr.contains("vmctl: error: vm.db: not touched: cannot read its state file \(file): it is not valid JSON"), "\(plan.stderr)")
        #expect(plan.stderr.contains("hint: fix the file or restore it (vmctl leaves it untouched)"), "\(plan.stderr)")
        #expect(!plan.stderr.contains("DecodingError") && !plan.stdout.contains("DecodingError"), "\(plan.stderr)")
        #expect(state.record("shop", "db") == Self.broken)

        let json = try state.vmctl("plan", "-o", "json", manifest)
        #expect(json.status == 1)
        let path = try state.write(json.stdout, to: "plan.json")
        let check = try FakeStateFolder.checkJSON(schema: "schemas/plan.v1.json", documents: [path])
        #expect(check.status == 0, "\(check.output)")
        #expect(json.stdout.contains("\"address\" : \"vm.db\",\n      \"reason\" : \"not touched: cannot read its state file"), "\(json.stdout)")
    }

    @Test("apply: the rest is applied, what depends on the VM is skipped, the VM and its file are left alone (exit 1)",
          .enabled(if: HaltedVMHost.ready, "needs qemu-system-x86_64 and a kernel in /boot"))
    func applyBlocksOnlyThatVM() throws {
        let state = try FakeStateFolder()
        try state.addRecord("shop", "db", Self.broken)
        let manifest = try state.write(Self.manifest(halted: true), to: "shop.yaml")
        let apply = try state.vmctl("apply", "--auto-approve", manifest)
        #expect(apply.status == 1, "\(apply.stdout)\(apply.stderr)")
        #expect(apply.stdout.contains("✓ vm.web: create"), "\(apply.stdout)")
        #expect(apply.stdout.contains("vm.api: create skipped: vm.db is not touched (its state file cannot be read)"), "\(apply.stdout)")
        #expect(apply.stderr.contains("vmctl: error: vm.db: not touched: cannot read its state file"), "\(apply.stderr)")
        #expect(state.record("shop", "web") != nil, "web was not created")
        #expect(state.record("shop", "api") == nil, "api was created before the VM it depends on")
        #expect(state.record("shop", "db") == Self.broken, "the damaged file was changed")

        let status = try state.vmctl("status", "--stack", "shop")
        #expect(status.status == 0, "\(status.stderr)")
        #expect(StatusCommandTests.rows(status.stdout).contains(["web", "stopped", "qemu", "1", "128MiB", "-", "-"]), "\(status.stdout)")
        #expect(StatusCommandTests.rows(status.stdout).contains(["db", "unknown", "-", "-", "-", "-", "-"]), "\(status.stdout)")
    }

    @Test("stop ends its VMM, found by the pid file, and leaves the file as it is; other actions name the file")
    func stopEndsTheProcess() throws {
        let state = try FakeStateFolder()
        try state.addVM("shop", "web")
        try state.addRecord("shop", "db", Self.broken)
        let file = state.vmFolder("shop", "db") + "/vm.json"
        let pid = try state.startFakeVMM("shop", "db")

        let start = try state.vmctl("start", "--stack", "shop", "db")
        #expect(start.status == 1)
        #expect(start.stderr.contains("VM 'db': start failed: cannot read its state file \(file): it is not valid JSON"), "\(start.stderr)")
        #expect(start.stderr.contains("hint: "), "\(start.stderr)")

        let stop = try state.vmctl("stop", "--stack", "shop", "--timeout", "1s", "db")
        #expect(stop.status == 0, "\(stop.stdout)\(stop.stderr)")
        #expect(stop.stdout.contains("db: stopped (forced)"), "\(stop.stdout)")
        #expect(stop.stderr.contains("its state file \(file) cannot be read (it is not valid JSON"), "\(stop.stderr)")
        #expect(stop.stderr.contains("and is left as it is"), "\(stop.stderr)")
        #expect(!FakeStateFolder.isAlive(pid), "the VMM still runs")
        #expect(state.record("shop", "db") == Self.broken, "the damaged file was changed")
        #expect(FileManager.default.fileExists(atPath: state.vmFolder("shop", "db")), "stop removed the VM's folder")
    }

    @Test("destroy says it will end the VMM and remove the folder, then does; the other VMs go too")
    func destroyRemovesAfterSayingSo() throws {
        let state = try FakeStateFolder()
        try state.addVM("shop", "web")
        try state.addRecord("shop", "db", Self.broken)
        let file = state.vmFolder("shop", "db") + "/vm.json"
        let pid = try state.startFakeVMM("shop", "db")

        let destroy = try state.vmctl("destroy", "--stack", "shop", "--auto-approve")
        #expect(destroy.status == 0, "\(destroy.stdout)\(destroy.stderr)")
        #expect(destroy.stdout.contains("""
              - vm.db: delete (impact: destroy)
                  cannot read its state file \(file): it is not valid JSON
            """), "\(destroy.stdout)")
        #expect(destroy.stdout.contains("vmctl destroy ends its VMM (pid \(pid), found by its pid file) and removes its folder \(state.vmFolder("shop", "db")) with everything in it, that file included"), "\(destroy.stdout)")
        // Said before it was done: the plan comes before the first action.
        let said = try #require(destroy.stdout.range(of: "removes its folder"))
        let done = try #require(destroy.stdout.range(of: "✓ vm.db: delete"), "\(destroy.stdout)")
        #expect(said.lowerBound < done.lowerBound)
        #expect(!FakeStateFolder.isAlive(pid), "the VMM still runs")
        #expect(!FileManager.default.fileExists(atPath: state.dir + "/stacks/shop"), "\(destroy.stdout)")
    }

    @Test("a pid file naming a process that is not the VM's (a reused pid) is never ended")
    func reusedPidIsLeftAlone() throws {
        let state = try FakeStateFolder()
        try state.addRecord("shop", "db", "")
        let other = try FakeStateFolder.spawnDetached(["/bin/sleep", "60"])
        defer { kill(other, SIGKILL) }
        try "\(other)\n".write(toFile: state.vmFolder("shop", "db") + "/pid", atomically: true, encoding: .utf8)

        let status = try state.vmctl("status", "--stack", "shop")
        #expect(StatusCommandTests.rows(status.stdout).contains(["db", "unknown", "-", "-", "-", "-", "-"]), "\(status.stdout)")
        let destroy = try state.vmctl("destroy", "--stack", "shop", "--auto-approve")
        #expect(destroy.status == 0, "\(destroy.stdout)\(destroy.stderr)")
        #expect(FakeStateFolder.isAlive(other), "destroy ended a process that was not the VM's")
    }
}
