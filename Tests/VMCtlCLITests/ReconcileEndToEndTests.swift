import Foundation
import Reconciler
import TestServers
import Testing

/// `vmctl reconcile` against real VMs under QEMU: a local bare git repository (or a folder) as the source, the real
/// binary as the daemon, and the host's processes, `vmctl status` and the reconciler's status file and events as the
/// evidence. Nested in `RealVMTests` (serialized).
extension RealVMTests {
@Suite("End to end: vmctl reconcile")
struct ReconcileEndToEndTests {
    /// Short intervals so a test sees several passes; the defaults are for hosts.
    static let fast = ["--interval", "15s", "--retry-interval", "3s", "--poll-interval", "1s", "--watch-interval", "1s", "--metrics-address", "none"]

    static func stack(_ name: String, _ vms: String, extra: String = "") -> String {
        """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: \(name)}
        \(extra)vms:
        \(vms)

        """
    }

    @Test("git: a commit runs within one interval; a memory change restarts that VM; an invalid commit changes nothing and says where; a revert applies; removal needs --prune; removing every VM is refused",
          .timeLimit(.minutes(6)))
    func gitFlow() throws {
        let env = try E2EStack(stack: "gitops")
        defer { env.tearDown() }
        let git = try GitFixture(in: env.dir)
        let two = Self.stack("gitops", "  a: {cpus: 1, memory: 128MiB}\n  b: {cpus: 1, memory: 128MiB, disks: [{volume: scratch}]}",
                             extra: "volumes:\n  scratch: {size: 8MiB}\n")
        let first = try git.commit("two VMs", ["stack/stack.yaml": two])
        let started = ContinuousClock.now
        _ = try env.spawn("reconcile", ["--git", git.bare, "--ref", "main", "--path", "stack"] + Self.fast)
        try env.waitFor("both VMs running", timeout: .seconds(90)) {
            try env.status().vms.map(\.state) == ["running", "running"]
        }
        #expect(ContinuousClock.now - started < .seconds(45), "first revision took \(ContinuousClock.now - started)")
        try env.waitFor("Ready at \(first)") { env.reconcileStatus()?.lastAppliedRevision == first }
        let pidB = try env.status()["b"]?.pid

        // A memory change: only that VM restarts.
        let bigger = try git.commit("a: more memory", ["stack/stack.yaml": two.replacingOccurrences(of: "a: {cpus: 1, memory: 128MiB}", with: "a: {cpus: 1, memory: 192MiB}")])
        try env.waitFor("a restarted with 192MiB") {
            let a = try env.status()["a"]
            return a?.memoryBytes == 192 << 20 && a?.state == "running" && env.reconcileStatus()?.lastAppliedRevision == bigger
        }
        #expect(try env.status()["b"]?.pid == pidB, "b was restarted by a change to a")
        let pidsBefore = try env.status().vms.map(\.pid)

        // An invalid commit: nothing changes; the condition names the revision, the file and the line.
        let invalid = try git.commit("broken", ["stack/stack.yaml": two.replacingOccurrences(of: "b: {cpus: 1,", with: "b: {cpus: many,")])
        try env.waitFor("Stalled on the invalid revision") { env.reconcileStatus()?.condition("Stalled")?.revision == invalid }
        let stalled = try #require(env.reconcileStatus()?.condition("Stalled"))
        #expect(stalled.status && stalled.reason == "ValidationFailed")
        #expect(stalled.message.contains(String(invalid.prefix(12))) && stalled.message.contains("stack/stack.yaml:8:13:"), "\(stalled.message)")
        #expect(env.reconcileStatus()?.condition("Ready")?.status == false)
        #expect(env.events().contains { $0.reason == "ValidationFailed" && $0.message.contains("stack/stack.yaml:8:13:") })
        #expect(try env.status().vms.map(\.pid) == pidsBefore, "VMs changed after an invalid commit")

        // The revert is applied again (same content as before: Ready, nothing restarted).
        try GitFixture.git(["-C", git.work, "revert", "--no-edit", "HEAD"])
        let reverted = try git.commit("revert pushed", [:])
        try env.waitFor("Ready at the revert") {
            env.reconcileStatus()?.lastAppliedRevision == reverted && env.reconcileStatus()?.condition("Ready")?.status == true
        }
        #expect(env.reconcileStatus()?.condition("Stalled")?.status == false)

        // b removed from the manifests: kept without --prune.
        let onlyA = Self.stack("gitops", "  a: {cpus: 1, memory: 192MiB}", extra: "volumes:\n  scratch: {size: 8MiB}\n")
        let withoutB = try git.commit("remove b", ["stack/stack.yaml": onlyA])
        try env.waitFor("the removal applied") { env.reconcileStatus()?.lastAppliedRevision == withoutB }
        #expect(try env.status()["b"]?.state == "running", "b deleted without --prune")

        // Restarted with --prune: b goes, its volume-less folder too.
        try env.stopReconcilers()
        _ = try env.spawn("reconcile", ["--git", git.bare, "--path", "stack", "--prune"] + Self.fast)
        try env.waitFor("b deleted with --prune") { try env.status()["b"] == nil }
        try git.commit("drop the volume too", ["stack/stack.yaml": Self.stack("gitops", "  a: {cpus: 1, memory: 192MiB}")])
        try env.waitFor("the pass after the volume left the manifest") { env.reconcileStatus()?.lastAttemptedRevision == (try? GitFixture.git(["-C", git.work, "rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)) && env.reconcileStatus()?.condition("Reconciling")?.status == false }
        #expect(FileManager.default.fileExists(atPath: env.stackFolder + "/volumes/scratch.img"), "reconcile --prune deleted a volume")
        #expect(try env.status()["a"]?.state == "running")

        // A revision without any VM: refused even with --prune; a keeps running.
        let empty = try git.commit("no VMs", ["stack/stack.yaml": Self.stack("gitops", "  {}").replacingOccurrences(of: "vms:\n  {}", with: "vms: {}")])
        try env.waitFor("the empty revision refused") { env.reconcileStatus()?.condition("Stalled")?.revision == empty }
        let refused = try #require(env.reconcileStatus()?.condition("Stalled"))
        #expect(refused.reason == "PruneRefused" && refused.message.contains("every VM"), "\(refused)")
        #expect(try env.status()["a"]?.state == "running")
        #expect(env.qemuProcesses().count == 1)
    }

    @Test("supervision: kill -9 restarts an Always VM; a broken kernel backs off with growing delays and shows crash-loop; Halted stays stopped; Manual stays as vmctl stop left it",
          .timeLimit(.minutes(5)))
    func supervision() throws {
        let env = try E2EStack(stack: "watch")
        defer { env.tearDown() }
        let source = env.dir + "/source"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        // A kernel file that exists (inside the source, so path confinement admits it) but is no kernel: QEMU exits at once.
        try "not a kernel\n".write(toFile: source + "/bogus-vmlinuz", atomically: true, encoding: .utf8)
        try Self.stack("watch", """
              always: {cpus: 1, memory: 128MiB}
              halted: {cpus: 1, memory: 128MiB, runStrategy: Halted}
              manual: {cpus: 1, memory: 128MiB, runStrategy: Manual}
              broken: {cpus: 1, memory: 128MiB, kernel: {image: bogus-vmlinuz}}
            """).write(toFile: source + "/stack.yaml", atomically: true, encoding: .utf8)
        _ = try env.spawn("reconcile", ["--source", source, "--backoff-initial", "1s", "--backoff-max", "4s"] + Self.fast)
        try env.waitFor("always running") { try env.status()["always"]?.state == "running" }

        // kill -9: restarted, counted.
        let oldPid = try #require(try env.status()["always"]?.pid)
        kill(oldPid, SIGKILL)
        try env.waitFor("always restarted") {
            let vm = try env.status()["always"]
            return vm?.state == "running" && vm?.pid != oldPid
        }
        #expect(env.events().contains { $0.reason == "VMExited" && $0.vm == "always" && $0.message.contains("signal 9") })
        // Counted when the pass that restarted it ends, a moment after the VM is ready.
        try env.waitFor("the restart counted") { env.reconcileStatus()?.vms["always"]?.restarts == 1 }

        // The broken VM: failures in a row with growing waits, capped at 4 s; status says crash-loop.
        try env.waitFor("five failed starts of broken", timeout: .seconds(90)) {
            env.events().filter { $0.reason == "StartFailed" && $0.vm == "broken" }.count >= 5
        }
        let waits = env.events().filter { $0.reason == "StartFailed" && $0.vm == "broken" }.map { Self.nextAttemptSeconds($0.message) }
        #expect(Self.grows(waits), "waits between attempts: \(waits)")
        try env.waitFor("broken shown as crash-loop with its next attempt") {
            let out = try env.vmctl("status", "--stack", "watch", "-o", "json")
            let json = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]
            let broken = (json?["vms"] as? [[String: Any]])?.first { $0["name"] as? String == "broken" }
            return broken?["state"] as? String == "crash-loop" && broken?["nextAttempt"] is String
        }
        #expect(try env.vmctl("status", "--stack", "watch").stdout.contains("broken: crash loop (back-off), next attempt at"))
        // The reconciler's view in status -o json keeps to schemas/status.v1.json.
        let document = env.dir + "/status.json"
        try env.vmctl("status", "--stack", "watch", "-o", "json").stdout.write(toFile: document, atomically: true, encoding: .utf8)
        let check = try FakeStateFolder.checkJSON(schema: "schemas/status.v1.json", documents: [document])
        #expect(check.status == 0, "\(check.output)")
        #expect(try String(contentsOfFile: document, encoding: .utf8).contains("\"reconciler\""))
        #expect(env.reconcileStatus()?.vms["broken"]?.startFailures ?? 0 >= 5)

        // Halted: created and left stopped, pass after pass.
        #expect(try env.status()["halted"]?.state == "stopped")
        // Manual: created stopped; started by hand it runs; stopped by hand it stays stopped.
        #expect(try env.status()["manual"]?.state == "stopped")
        #expect(try env.vmctl("start", "--stack", "watch", "--lock-timeout", "60s", "manual").status == 0)
        #expect(try env.vmctl("stop", "--stack", "watch", "--lock-timeout", "60s", "manual").status == 0)
        let passes = env.reconcileStatus()?.history.count ?? 0
        try env.waitFor("two more passes") { (env.reconcileStatus()?.history.last?.started ?? .distantPast) > Date().addingTimeInterval(-3) && (env.reconcileStatus()?.history.count ?? 0) >= min(passes + 2, ReconcileStatus.historyLength) }
        #expect(try env.status()["manual"]?.state == "stopped")
        #expect(try env.status()["halted"]?.state == "stopped")
    }

    @Test("suspend holds a new revision back until resume; after a simulated reboot (new boot id, every VMM gone) the VMs come back, RerunOnFailure included",
          .timeLimit(.minutes(5)))
    func suspendAndReboot() throws {
        let bootFile = "/tmp/vmctl-boot-" + UUID().uuidString.prefix(8)
        try "boot-one\n".write(toFile: bootFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: bootFile) }
        let env = try E2EStack(stack: "boots", environment: ["VMCTL_BOOT_ID_FILE": bootFile])
        defer { env.tearDown() }
        let git = try GitFixture(in: env.dir)
        let vms = "  always: {cpus: 1, memory: 128MiB}\n  rerun: {cpus: 1, memory: 128MiB, runStrategy: RerunOnFailure}"
        try git.commit("two VMs", ["stack.yaml": Self.stack("boots", vms)])
        let follow = ["--git", git.bare] + Self.fast
        _ = try env.spawn("reconcile", follow)
        try env.waitFor("both running") { try env.status().vms.map(\.state) == ["running", "running"] }

        // Suspended: a new commit is not applied.
        let suspend = try VMCtlProcess.run(["reconcile", "suspend", "--state-dir", env.dir, "--stack", "boots"])
        #expect(suspend.status == 0, "\(suspend.stderr)")
        try env.waitFor("status shows suspended") { env.reconcileStatus()?.suspended == true }
        let held = try git.commit("more memory", ["stack.yaml": Self.stack("boots", vms.replacingOccurrences(of: "always: {cpus: 1, memory: 128MiB}", with: "always: {cpus: 1, memory: 160MiB}"))])
        Thread.sleep(forTimeInterval: 8)
        #expect(try env.status()["always"]?.memoryBytes == 128 << 20, "applied while suspended")
        #expect(env.reconcileStatus()?.lastAppliedRevision != held)
        #expect(try env.vmctl("status", "--stack", "boots").stdout.contains("SUSPENDED"))
        #expect(try VMCtlProcess.run(["reconcile", "resume", "--state-dir", env.dir, "--stack", "boots"]).status == 0)
        try env.waitFor("applied after resume") {
            try env.status()["always"]?.memoryBytes == 160 << 20 && env.status()["always"]?.state == "running" && env.reconcileStatus()?.lastAppliedRevision == held
        }

        // Without a reboot, a RerunOnFailure VM stopped cleanly stays stopped (SIGTERM: QEMU exits 0).
        let rerunPid = try #require(try env.status()["rerun"]?.pid)
        kill(rerunPid, SIGTERM)
        try env.waitFor("rerun stopped") { try env.status()["rerun"]?.state == "stopped" }
        Thread.sleep(forTimeInterval: 4)
        #expect(try env.status()["rerun"]?.state == "stopped", "a clean stop of a RerunOnFailure VM was undone")
        #expect(try env.vmctl("start", "--stack", "boots", "--lock-timeout", "60s", "rerun").status == 0)
        try env.waitFor("rerun seen running") { env.reconcileStatus()?.vms["rerun"]?.running == true }

        // The reboot: the reconciler and every VMM gone, a new boot id, the reconciler started again.
        try env.stopReconcilers(signal: SIGKILL)
        for pid in env.qemuProcesses() { kill(pid, SIGTERM) }
        try env.waitFor("every VMM gone") { env.qemuProcesses().isEmpty }
        #expect(try env.status().vms.map(\.state) == ["stopped", "stopped"])
        try "boot-two\n".write(toFile: bootFile, atomically: true, encoding: .utf8)
        _ = try env.spawn("reconcile", follow)
        try env.waitFor("both back after the reboot", timeout: .seconds(90)) { try env.status().vms.map(\.state) == ["running", "running"] }
        #expect(env.events().contains { $0.reason == "HostRebooted" && $0.message.contains("rerun") })
    }

    @Test("the reconciler killed mid-apply and started again converges with one VMM per VM", .timeLimit(.minutes(4)))
    func killedMidApply() throws {
        let env = try E2EStack(stack: "midway")
        defer { env.tearDown() }
        let source = env.dir + "/source"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try Self.stack("midway", "  first: {cpus: 1, memory: 128MiB}\n  second: {cpus: 1, memory: 128MiB, dependsOn: [first]}")
            .write(toFile: source + "/stack.yaml", atomically: true, encoding: .utf8)
        _ = try env.spawn("reconcile", ["--source", source] + Self.fast)
        try env.waitFor("first booting") { FileManager.default.fileExists(atPath: env.stackFolder + "/vms/first/pid") }
        try env.stopReconcilers(signal: SIGKILL)
        _ = try env.spawn("reconcile", ["--source", source] + Self.fast)
        try env.waitFor("both running", timeout: .seconds(90)) { try env.status().vms.map(\.state) == ["running", "running"] }
        Thread.sleep(forTimeInterval: 3)
        #expect(env.qemuProcesses().count == 2, "VMM processes: \(env.qemuProcesses())")
        #expect(env.qemuProcesses(matching: "/vms/first/").count == 1)

        // One reconciler per stack; a manual apply is told that its changes do not last.
        let second = try VMCtlProcess.run(["reconcile", "--state-dir", env.dir, "--source", source] + Self.fast)
        #expect(second.status == 1 && second.stderr.contains("already reconciled"), "\(second.stderr)")
        let manual = try env.vmctl("apply", "--auto-approve", "--lock-timeout", "60s", source + "/stack.yaml")
        #expect(manual.status == 0 && manual.stderr.contains("managed by vmctl reconcile"), "\(manual.stderr)")
    }

    @Test("SIGTERM during an apply lets the running action finish, starts nothing new, and exits 0", .timeLimit(.minutes(3)))
    func gracefulShutdown() throws {
        let env = try E2EStack(stack: "term")
        defer { env.tearDown() }
        let source = env.dir + "/source"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try Self.stack("term", "  first: {cpus: 1, memory: 128MiB}\n  second: {cpus: 1, memory: 128MiB, dependsOn: [first]}")
            .write(toFile: source + "/stack.yaml", atomically: true, encoding: .utf8)
        let reconciler = try env.spawn("reconcile", ["--source", source] + Self.fast)
        try env.waitFor("first booting") { FileManager.default.fileExists(atPath: env.stackFolder + "/vms/first/pid") }
        kill(reconciler.processIdentifier, SIGTERM)
        reconciler.waitUntilExit()
        #expect(reconciler.terminationStatus == 0)
        #expect(try env.status()["first"]?.state == "running", "the action in progress did not finish")
        #expect(!FileManager.default.fileExists(atPath: env.stackFolder + "/vms/second"), "second was started after SIGTERM")
    }

    @Test("a real Prometheus scrapes the reconciler's /metrics and reads vmctl_vm_running for each VM back", .timeLimit(.minutes(4)))
    func prometheusScrape() async throws {
        let env = try E2EStack(stack: "metered")
        defer { env.tearDown() }
        let source = env.dir + "/source"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try Self.stack("metered", "  on: {cpus: 1, memory: 128MiB}\n  off: {cpus: 1, memory: 128MiB, runStrategy: Halted}")
            .write(toFile: source + "/stack.yaml", atomically: true, encoding: .utf8)
        let port = try PrometheusServer.freeLoopbackPort()
        _ = try env.spawn("reconcile", ["--source", source] + Self.fast.dropLast(2) + ["--metrics-address", "127.0.0.1:\(port)"])
        try env.waitFor("on running") { try env.status()["on"]?.state == "running" && env.reconcileStatus()?.lastAppliedRevision != nil }

        let prometheus = try await PrometheusServer(scraping: ["127.0.0.1:\(port)"])
        defer { prometheus.stop() }
        try await prometheus.waitUntilTargetsUp()
        var running: [String: String] = [:]
        let deadline = ContinuousClock.now + .seconds(30)
        while running != ["on": "1", "off": "0"], ContinuousClock.now < deadline {
            running = Dictionary(try await prometheus.query("vmctl_vm_running{stack=\"metered\"}").map { ($0.labels["vm"] ?? "?", $0.value) },
                                 uniquingKeysWith: { a, _ in a })
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(running == ["on": "1", "off": "0"], "\(prometheus.log)")
        let info = try await prometheus.query("vmctl_vm_info{stack=\"metered\",vm=\"off\"}")
        #expect(info.first?.labels["run_strategy"] == "Halted" && info.first?.labels["backend"] == "qemu", "\(info)")
        let revision = try await prometheus.query("vmctl_stack_applied_revision_info{stack=\"metered\"}")
        #expect(revision.first?.labels["revision"] == env.reconcileStatus()?.lastAppliedRevision, "\(revision)")
        // What a real reconciler serves, with real VMs, passes promtool too.
        let exposition = try await LoopbackHTTP.get(port: port, path: "/metrics")
        #expect(exposition.status == 200 && exposition.body.contains("vmctl_reconcile_duration_seconds_bucket"))
        let check = try Spawned.run(try Spawned.locate("promtool", package: "prometheus"), ["check", "metrics"], input: exposition.body)
        #expect(check.status == 0 && check.output.isEmpty, "promtool: \(check.output)")
        let memory = try await prometheus.query("vmctl_vm_resident_memory_bytes{stack=\"metered\",vm=\"on\"}")
        #expect((memory.first.flatMap { Double($0.value) } ?? 0) > 1_048_576, "\(memory)")
    }

    @Test("path confinement: a volume source ../../etc/shadow or a symlink to it is refused and nothing is created; an --allow-path folder works",
          .timeLimit(.minutes(4)))
    func pathConfinement() throws {
        let env = try E2EStack(stack: "paths")
        defer { env.tearDown() }
        let allowed = env.dir + "/allowed"
        try FileManager.default.createDirectory(atPath: allowed, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: allowed + "/seed.raw", contents: Data(repeating: 0x5A, count: 1 << 20))
        let git = try GitFixture(in: env.dir)
        let vm = "  one: {cpus: 1, memory: 128MiB}"
        // The first revision already reaches for the host's shadow file: with --stack the condition is there from the start.
        let shadow = try git.commit("steal", ["stack.yaml": Self.stack("paths", vm, extra: "volumes:\n  loot: {source: ../../etc/shadow}\n")])
        _ = try env.spawn("reconcile", ["--git", git.bare, "--stack", "paths", "--allow-path", allowed] + Self.fast)
        try env.waitFor("the escaping source refused") { env.reconcileStatus()?.condition("Stalled")?.revision == shadow }
        var stalled = try #require(env.reconcileStatus()?.condition("Stalled"))
        #expect(stalled.reason == "ValidationFailed" && stalled.message.contains("stack.yaml:5:") && stalled.message.contains("/etc/shadow"), "\(stalled.message)")
        #expect(!FileManager.default.fileExists(atPath: env.stackFolder + "/vms") && !FileManager.default.fileExists(atPath: env.stackFolder + "/volumes"),
                "something was created for a refused revision: \(env.files(under: env.stackFolder))")

        let link = try git.commit("steal by link", ["stack.yaml": Self.stack("paths", vm, extra: "volumes:\n  loot: {source: disk.img}\n")],
                                  symlinks: ["disk.img": "/etc/shadow"])
        try env.waitFor("the symlink refused") { env.reconcileStatus()?.condition("Stalled")?.revision == link }
        stalled = try #require(env.reconcileStatus()?.condition("Stalled"))
        #expect(stalled.message.contains("/etc/shadow"), "\(stalled.message)")
        #expect(!FileManager.default.fileExists(atPath: env.stackFolder + "/volumes/loot.img"))

        #expect(!FileManager.default.fileExists(atPath: env.stackFolder + "/vms"))

        let fine = try git.commit("allowed seed", ["stack.yaml": Self.stack("paths", vm, extra: "volumes:\n  seed: {source: \(allowed)/seed.raw}\n"),
                                                   "disk.img": nil])
        try env.waitFor("the allowed source imported") { env.reconcileStatus()?.lastAppliedRevision == fine }
        let imported = FileManager.default.contents(atPath: env.stackFolder + "/volumes/seed.img")
        #expect(imported?.prefix(4) == Data(repeating: 0x5A, count: 4))
        #expect(try env.status()["one"]?.state == "running")
        #expect(!FileManager.default.fileExists(atPath: env.stackFolder + "/volumes/loot.img"))
    }

    /// "next attempt in N s" of a StartFailed event, or 0 for "restarting" (retried at once).
    static func nextAttemptSeconds(_ message: String) -> Int? {
        guard let range = message.range(of: "next attempt in ") else { return message.contains("restarting") ? 0 : nil }
        return Int(message[range.upperBound...].prefix { $0.isNumber })
    }

    /// Non-decreasing, at least one real wait, never past the 4 s cap (+20% jitter, rounded up).
    static func grows(_ waits: [Int?]) -> Bool {
        let values = waits.compactMap { $0 }
        return values.count == waits.count && zip(values, values.dropFirst()).allSatisfy { $0 <= $1 } && values.contains { $0 >= 1 }
            && values.allSatisfy { $0 <= 5 } && values.last ?? 0 >= 4
    }
}
}

extension E2EStack {
    func reconcileStatus() -> ReconcileStatus? { ReconcileStatus.read(stackFolder + "/reconcile/status.json") }

    func events() -> [ReconcileEvent] { EventLog(path: stackFolder + "/reconcile/events.jsonl").read() }

    /// Polls until `condition` holds; on timeout fails with what the reconcilers printed.
    func waitFor(_ what: String, timeout: Duration = .seconds(60), _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? condition()) == true { return }
            Thread.sleep(forTimeInterval: 0.5)
        }
        let logs = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("spawned-") }.sorted()
            .map { "--- \($0)\n" + ((try? String(contentsOfFile: dir + "/" + $0, encoding: .utf8)) ?? "").suffix(3000) }.joined(separator: "\n")
        throw E2EFailure("timed out after \(timeout) waiting for: \(what)\nstatus: \(String(describing: reconcileStatus()))\n\(logs)")
    }

    /// Ends every reconciler this test started (SIGTERM: the graceful path) and waits for them.
    func stopReconcilers(signal: Int32 = SIGTERM) throws {
        for process in spawnedProcesses where process.isRunning {
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
        }
    }
}
