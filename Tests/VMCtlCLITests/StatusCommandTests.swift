import Foundation
import Testing

/// `vmctl status` on state folders written by hand: no VM boots, so these run everywhere and fast.
@Suite("vmctl status on a fake state folder")
struct StatusCommandTests {
    @Test("no stack on the host: status says so and exits 0 (human and JSON)")
    func noStacks() throws {
        let state = try FakeStateFolder()
        let human = try state.vmctl("status")
        #expect(human.status == 0, "\(human.stderr)")
        #expect(human.stdout == "No stacks on this host (state folder \(state.dir)); vmctl apply MANIFEST creates one.\n", "\(human.stdout)")
        #expect(human.stderr.isEmpty, "\(human.stderr)")
        let json = try state.vmctl("status", "-o", "json")
        #expect(json.status == 0, "\(json.stderr)")
        #expect(json.stdout == "[\n\n]\n" || json.stdout == "[]\n", "\(json.stdout)")
        let file = try state.write(json.stdout, to: "none.json")
        let check = try FakeStateFolder.checkJSON(schema: "schemas/status.v1.json", documents: [file])
        #expect(check.status == 0, "\(check.output)")
    }

    @Test("several stacks and no --stack: one table per stack, sorted by name")
    func severalStacksHuman() throws {
        let state = try FakeStateFolder()
        try state.addVM("beta", "b1")
        try state.addVM("alpha", "a1", cpus: 2, memoryMiB: 256)
        try state.addVM("alpha", "a2")
        let out = try state.vmctl("status")
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout == """
            Stack alpha
            NAME  STATE    BACKEND  CPUS  MEMORY  UPTIME  PID
            a1    stopped  qemu     2     256MiB  -       -
            a2    stopped  qemu     1     128MiB  -       -

            Stack beta
            NAME  STATE    BACKEND  CPUS  MEMORY  UPTIME  PID
            b1    stopped  qemu     1     128MiB  -       -

            """, "\(out.stdout)")
        // --stack still picks one.
        let one = try state.vmctl("status", "--stack", "beta")
        #expect(one.status == 0)
        #expect(one.stdout.hasPrefix("Stack beta\n") && !one.stdout.contains("alpha"), "\(one.stdout)")
    }

    @Test("-o json: one stack prints one object (status.v1), several print an array of them; both match the schema")
    func severalStacksJSON() throws {
        let state = try FakeStateFolder()
        try state.addVM("alpha", "a1")
        let single = try state.vmctl("status", "-o", "json")
        #expect(single.status == 0, "\(single.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(single.stdout.utf8)) as? [String: Any]
        #expect(object?["stack"] as? String == "alpha", "\(single.stdout)")

        try state.addVM("beta", "b1")
        let several = try state.vmctl("status", "-o", "json")
        #expect(several.status == 0, "\(several.stderr)")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(several.stdout.utf8)) as? [[String: Any]], "\(several.stdout)")
        #expect(array.map { $0["stack"] as? String } == ["alpha", "beta"])
        let named = try state.vmctl("status", "-o", "json", "--stack", "beta")
        #expect((try JSONSerialization.jsonObject(with: Data(named.stdout.utf8)) as? [String: Any])?["stack"] as? String == "beta")

        let files = try [single.stdout, several.stdout, named.stdout].enumerated().map { try state.write($1, to: "status-\($0).json") }
        let check = try FakeStateFolder.checkJSON(schema: "schemas/status.v1.json", documents: files)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("3 passed, 0 failed"), "\(check.output)")
    }

    @Test("a corrupt vm.json: status shows the other VMs, and this one as unknown with the file and the reason")
    func damagedRecord() throws {
        let state = try FakeStateFolder()
        try state.addVM("shop", "api")
        try state.addVM("shop", "web")
        try state.addRecord("shop", "db", "{\"name\": \"db\", \"stack\": \"sh")
        let file = state.vmFolder("shop", "db") + "/vm.json"

        let human = try state.vmctl("status", "--stack", "shop")
        #expect(human.status == 0, "\(human.stderr)")
        let rows = Self.rows(human.stdout)
        #expect(rows.contains(["api", "stopped", "qemu", "1", "128MiB", "-", "-"]), "\(human.stdout)")
        #expect(rows.contains(["web", "stopped", "qemu", "1", "128MiB", "-", "-"]), "\(human.stdout)")
        #expect(rows.contains(["db", "unknown", "-", "-", "-", "-", "-"]), "\(human.stdout)")
        #expect(human.stdout.contains("db: cannot read its state file \(file): it is not valid JSON"), "\(human.stdout)")
        #expect(human.stdout.contains("its VMM is not running"), "\(human.stdout)")
        #expect(!human.stdout.contains("DecodingError"), "\(human.stdout)")

        let json = try state.vmctl("status", "--stack", "shop", "-o", "json")
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let vms = try #require(object["vms"] as? [[String: Any]])
        #expect(vms.map { $0["name"] as? String } == ["api", "db", "web"])
        let db = try #require(vms.first { $0["name"] as? String == "db" })
        #expect(db["state"] as? String == "unknown")
        #expect(db["stateFile"] as? String == file)
        #expect((db["stateError"] as? String)?.hasPrefix("it is not valid JSON") == true, "\(db)")
        let path = try state.write(json.stdout, to: "damaged.json")
        let check = try FakeStateFolder.checkJSON(schema: "schemas/status.v1.json", documents: [path])
        #expect(check.status == 0, "\(check.output)")
        #expect(state.record("shop", "db") == "{\"name\": \"db\", \"stack\": \"sh", "the damaged file was changed")
    }

    @Test("a damaged VM whose VMM runs: status finds it by its pid file and shows its pid")
    func damagedRecordRunning() throws {
        let state = try FakeStateFolder()
        try state.addRecord("shop", "db", "")
        let pid = try state.startFakeVMM("shop", "db")
        let out = try state.vmctl("status", "--stack", "shop")
        #expect(out.status == 0, "\(out.stderr)")
        #expect(Self.rows(out.stdout).contains(["db", "unknown", "-", "-", "-", "-", "\(pid)"]), "\(out.stdout)")
        #expect(out.stdout.contains("its VMM runs (pid \(pid))"), "\(out.stdout)")
        #expect(out.stdout.contains("the file is empty"), "\(out.stdout)")
    }

    /// The table's lines split into columns.
    static func rows(_ text: String) -> [[String]] {
        text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
    }
}
