import Foundation
import Testing

/// `vmctl reconcile` and `vmctl events` without VMs: usage errors, --once on a revision that cannot be applied,
/// suspend/resume files, events output.
@Suite("vmctl reconcile: usage, --once, suspend, events")
struct ReconcileCommandTests {
    static func folder() throws -> String {
        let path = "/tmp/vmctl-rc-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: path + "/source", withIntermediateDirectories: true)
        return path
    }

    @Test("usage errors exit 2 and say what is wrong", arguments: [
        (["--source", "/x", "--git", "/y"], "either --source DIR or --git URL"),
        ([], "either --source DIR or --git URL"),
        (["--source", "/x", "--stack", "../../etc"], "--stack '../../etc' contains '.'"),
        (["--source", "/x", "--interval", "0"], "--interval must be more than 0"),
        (["--source", "/x", "--allow-path", "relative"], "--allow-path needs an absolute folder"),
        (["--source", "/x", "--backoff-initial", "10m", "--backoff-max", "1m"], "--backoff-initial must not be longer"),
    ])
    func usage(_ arguments: [String], _ message: String) throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try VMCtlProcess.run(["reconcile", "--state-dir", dir] + arguments)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("a bad --metrics-address is refused before anything starts")
    func metricsAddress() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try VMCtlProcess.run(["reconcile", "--state-dir", dir, "--source", dir + "/source", "--metrics-address", "localhost:9464"])
        #expect(result.status == 2 && result.stderr.contains("--metrics-address"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/stacks"))
    }

    @Test("--once on a revision that does not validate exits 1, names file:line, and writes the condition with --stack")
    func onceInvalid() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "apiVersion: vmctl/v1\nkind: Stack\nmetadata: {name: once}\nvms:\n  a: {cpus: lots, memory: 128MiB}\n"
            .write(toFile: dir + "/source/stack.yaml", atomically: true, encoding: .utf8)
        let result = try VMCtlProcess.run(["reconcile", "--state-dir", dir, "--source", dir + "/source", "--once", "--stack", "once"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("stack.yaml:5:"), "\(result.stderr)")
        let status = try #require(FileManager.default.contents(atPath: dir + "/stacks/once/reconcile/status.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: status) as? [String: Any])
        let stalled = (json["conditions"] as? [[String: Any]])?.first { $0["type"] as? String == "Stalled" }
        #expect(stalled?["reason"] as? String == "ValidationFailed" && stalled?["status"] as? Bool == true, "\(json)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/stacks/once/vms"))
        let events = try VMCtlProcess.run(["events", "--state-dir", dir, "--stack", "once"])
        #expect(events.status == 0 && events.stdout.contains("Warning  ValidationFailed: revision sha256:"), "\(events.stdout)")
        let json1 = try VMCtlProcess.run(["events", "--state-dir", dir, "--stack", "once", "-o", "json"])
        let line = try #require(json1.stdout.split(separator: "\n").first)
        let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(event["reason"] as? String == "ValidationFailed" && event["stack"] as? String == "once")
    }

    @Test("suspend and resume write and remove the flag; status shows it without a reconciler")
    func suspendResume() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/stacks/web", withIntermediateDirectories: true)
        let suspend = try VMCtlProcess.run(["reconcile", "suspend", "--state-dir", dir, "--stack", "web"])
        #expect(suspend.status == 0 && suspend.stdout.contains("suspended"), "\(suspend.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/stacks/web/reconcile/suspended.json"))
        let status = try VMCtlProcess.run(["status", "--state-dir", dir, "--stack", "web"])
        #expect(status.stdout.contains("Reconciler: no reconciler running, SUSPENDED"), "\(status.stdout)")
        let resume = try VMCtlProcess.run(["reconcile", "resume", "--state-dir", dir, "--stack", "web"])
        #expect(resume.status == 0 && resume.stdout.contains("resumed"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/stacks/web/reconcile/suspended.json"))
        let again = try VMCtlProcess.run(["reconcile", "resume", "--state-dir", dir, "--stack", "web"])
        #expect(again.stdout.contains("was not suspended"))
        let bad = try VMCtlProcess.run(["reconcile", "suspend", "--state-dir", dir, "--stack", "../../tmp"])
        #expect(bad.status == 2, "\(bad.stderr)")
    }

    @Test("a restarted reconciler remembers its source's stack: a broken revision is reported there and the last good kept")
    func remembersItsStack() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let manifest = dir + "/source/stack.yaml"
        try "apiVersion: vmctl/v1\nkind: Stack\nmetadata: {name: kept}\nvolumes:\n  data: {size: 1MiB}\nvms: {}\n"
            .write(toFile: manifest, atomically: true, encoding: .utf8)
        let first = try VMCtlProcess.run(["reconcile", "--state-dir", dir, "--source", dir + "/source", "--once"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/stacks/kept/volumes/data.img"))
        // No --stack this time, and the revision does not validate: the stack is still known.
        try "apiVersion: vmctl/v1\nkind: Stack\nmetadata: {name: kept}\nvolumes:\n  data: {size: lots}\n"
            .write(toFile: manifest, atomically: true, encoding: .utf8)
        let second = try VMCtlProcess.run(["reconcile", "--state-dir", dir, "--source", dir + "/source", "--once"])
        #expect(second.status == 1)
        let status = try VMCtlProcess.run(["status", "--state-dir", dir, "--stack", "kept", "-o", "json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let reconciler = json["reconciler"] as? [String: Any]
        #expect(reconciler?["reason"] as? String == "ValidationFailed", "\(json)")
        #expect((reconciler?["lastAppliedRevision"] as? String)?.hasPrefix("sha256:") == true)
        #expect(FileManager.default.fileExists(atPath: dir + "/stacks/kept/volumes/data.img"))
    }

    @Test("destroy leaves a suspended stack's reconcile state, so it stays suspended")
    func destroyKeepsSuspension() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/stacks/web/vms", withIntermediateDirectories: true)
        #expect(try VMCtlProcess.run(["reconcile", "suspend", "--state-dir", dir, "--stack", "web"]).status == 0)
        let destroy = try VMCtlProcess.run(["destroy", "--state-dir", dir, "--stack", "web", "--auto-approve"])
        #expect(destroy.status == 0, "\(destroy.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/stacks/web/reconcile/suspended.json"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/stacks/web/vms"))
        // Not suspended and no reconciler: destroy removes the folder, reconcile state and all.
        #expect(try VMCtlProcess.run(["reconcile", "resume", "--state-dir", dir, "--stack", "web"]).status == 0)
        #expect(try VMCtlProcess.run(["destroy", "--state-dir", dir, "--stack", "web", "--auto-approve"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: dir + "/stacks/web"))
    }
}
