import Foundation
import Testing

/// Every suite that boots real VMs is nested here: `.serialized` applies to the nested suites too, so VMs of
/// two tests never boot at once, even across suites (top-level suites would run in parallel).
///
/// Skipped, not passed, where the host lacks QEMU, the Debian cloud kernel or busybox
/// (apt-get install qemu-system-x86 linux-image-cloud-amd64 busybox-static); CI installs them, so they run there.
@Suite("Real VMs under QEMU, one test at a time", .serialized,
       .enabled(if: E2EHost.ready, "needs /usr/bin/qemu-system-x86_64, /boot/vmlinuz-*cloud-amd64 and /bin/busybox"))
enum RealVMTests {}

extension RealVMTests {
/// End-to-end: the real `vmctl` binary boots real default-guest VMs under QEMU (TCG here) and is checked
/// through its own commands and the host's processes.
@Suite("End to end: real VMs under QEMU")
struct EndToEndTests {
    static let trio = """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: trio}
        volumes:
          data: {size: 16MiB}
        vms:
          db:
            cpus: 1
            memory: 128MiB
            disks: [{volume: data}]
            runStrategy: Always
          api: {cpus: 1, memory: 128MiB, dependsOn: [db]}
          web: {cpus: 1, memory: 128MiB, dependsOn: [db]}

        """

    static let solo = """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: solo}
        vms:
          one: {cpus: 1, memory: 128MiB}

        """

    @Test("a three-VM stack: apply, one memory change restarts only that VM, kill -9 is seen and healed, destroy keeps volumes until --volumes",
          .timeLimit(.minutes(4)))
    func threeVMStack() throws {
        let env = try E2EStack(stack: "trio")
        defer { env.tearDown() }
        let manifest = try env.write(Self.trio)

        // 1. Apply: every VM running and ready, status agrees, no drift.
        let apply = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(apply.status == 0, "apply: \(apply.stdout)\(apply.stderr)")
        let first = try env.status(manifest)
        #expect(first.vms.map(\.name).sorted() == ["api", "db", "web"])
        for vm in first.vms {
            #expect(vm.state == "running", "\(vm.name): \(vm.state)")
            #expect(vm.drift == false, "\(vm.name) drifts right after apply")
            #expect(try env.readyCount(vm.name) == 1, "\(vm.name): marker count in its console log")
        }
        #expect(first.volumes["data"] == 16 << 20)

        // 2. One VM's memory changes: the plan says restart for it alone, and only its pid changes.
        let bigger = try env.write(Self.trio.replacingOccurrences(of: "api: {cpus: 1, memory: 128MiB", with: "api: {cpus: 1, memory: 160MiB"), as: "bigger.yaml")
        let plan = try env.plan(bigger)
        let changes = plan.changes.filter { $0.action != "noop" }
        #expect(changes.map(\.address) == ["vm.api"])
        #expect(changes.first?.action == "restart" && changes.first?.impact == "restart", "\(changes)")
        let reapply = try env.vmctl("apply", "--auto-approve", bigger)
        #expect(reapply.status == 0, "re-apply: \(reapply.stdout)\(reapply.stderr)")
        let second = try env.status(bigger)
        #expect(second.vms.allSatisfy { $0.state == "running" && $0.drift == false }, "\(second.vms)")
        #expect(second["api"]?.pid != first["api"]?.pid)
        #expect(second["api"]?.memoryBytes == 160 << 20)
        #expect(second["db"]?.pid == first["db"]?.pid)
        #expect(second["web"]?.pid == first["web"]?.pid)

        // 4. kill -9 the database's VMM: crashed with signal 9 within a second; the others are untouched;
        //    apply (runStrategy Always) starts it again.
        let dbPid = try #require(second["db"]?.pid)
        let killed = ContinuousClock.now
        #expect(kill(dbPid, SIGKILL) == 0)
        var crashed: E2EStatus.VM?
        while ContinuousClock.now - killed < .seconds(1) {
            crashed = try env.status()["db"]
            if crashed?.state == "crashed", crashed?.signal == 9 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(crashed?.state == "crashed" && crashed?.signal == 9, "1 s after kill -9: \(String(describing: crashed))")
        let afterKill = try env.status()
        #expect(afterKill["api"]?.state == "running" && afterKill["api"]?.pid == second["api"]?.pid)
        #expect(afterKill["web"]?.state == "running" && afterKill["web"]?.pid == second["web"]?.pid)
        let healPlan = try env.plan(bigger).changes.filter { $0.action != "noop" }
        #expect(healPlan.map { "\($0.address) \($0.action)" } == ["vm.db start"])
        let heal = try env.vmctl("apply", "--auto-approve", bigger)
        #expect(heal.status == 0, "apply after kill -9: \(heal.stdout)\(heal.stderr)")
        let healed = try env.status()
        #expect(healed["db"]?.state == "running")
        #expect(healed["db"]?.pid != nil && healed["db"]?.pid != dbPid)
        #expect(try env.qemuProcesses().count == 3)

        // 7. destroy: no process, no runtime files; the volume stays until --volumes.
        let destroy = try env.vmctl("destroy", "--stack", "trio", "--auto-approve")
        #expect(destroy.status == 0, "destroy: \(destroy.stdout)\(destroy.stderr)")
        #expect(env.processes().isEmpty, "processes left by destroy: \(env.processes())")
        // The budget the stack was applied with stays with its volumes, for a later destroy --volumes.
        #expect(env.files(under: env.stackFolder) == ["stack.json", "volumes", "volumes/data.img", "volumes/data.json"])
        let purge = try env.vmctl("destroy", "--stack", "trio", "--auto-approve", "--volumes")
        #expect(purge.status == 0, "destroy --volumes: \(purge.stdout)\(purge.stderr)")
        #expect(!FileManager.default.fileExists(atPath: env.stackFolder))
    }

    @Test("stop, start and reset each change what status and the guest console show", .timeLimit(.minutes(3)))
    func powerCommands() throws {
        let env = try E2EStack(stack: "solo")
        defer { env.tearDown() }
        let manifest = try env.write(Self.solo)
        let apply = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(apply.status == 0, "apply: \(apply.stdout)\(apply.stderr)")
        let booted = try #require(try env.status()["one"])
        #expect(booted.state == "running")

        let stop = try env.vmctl("stop", "one")
        #expect(stop.status == 0 && stop.stdout == "one: stopped (graceful)\n", "stop: \(stop.stdout)\(stop.stderr)")
        let stopped = try env.status()["one"]
        #expect(stopped?.state == "stopped" && stopped?.lastStop == "graceful" && stopped?.pid == nil, "\(String(describing: stopped))")
        #expect(env.processes().isEmpty)

        let start = try env.vmctl("start", "one")
        #expect(start.status == 0, "start: \(start.stdout)\(start.stderr)")
        let started = try #require(try env.status()["one"])
        #expect(started.state == "running" && started.pid != nil && started.pid != booted.pid, "\(started)")
        #expect(try env.readyCount("one") == 2)

        let reset = try env.vmctl("reset", "one")
        #expect(reset.status == 0, "reset: \(reset.stdout)\(reset.stderr)")
        let afterReset = try #require(try env.status()["one"])
        #expect(afterReset.state == "running" && afterReset.pid == started.pid, "\(afterReset)")
        #expect(try env.readyCount("one") == 3, "a reset boots the guest again")
    }

    @Test("vmctl killed in the middle of an apply: the next apply converges with one VMM per VM and no orphans",
          .timeLimit(.minutes(3)))
    func killedApplyConverges() throws {
        let env = try E2EStack(stack: "trio")
        defer { env.tearDown() }
        let manifest = try env.write(Self.trio)
        let interrupted = try env.spawn("apply", "--auto-approve", manifest)
        // The first VM's VMM exists (its wrapper wrote the pid); vmctl is still waiting for it.
        let pidFile = env.stackFolder + "/vms/db/pid"
        let deadline = ContinuousClock.now + .seconds(60)
        while !FileManager.default.fileExists(atPath: pidFile), interrupted.isRunning, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(interrupted.isRunning, "apply ended before it could be interrupted")
        kill(interrupted.processIdentifier, SIGKILL)
        interrupted.waitUntilExit()

        let again = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(again.status == 0, "apply after the kill: \(again.stdout)\(again.stderr)")
        let status = try env.status(manifest)
        #expect(status.vms.map(\.name).sorted() == ["api", "db", "web"])
        for vm in status.vms { #expect(vm.state == "running" && vm.drift == false, "\(vm.name): \(vm.state)") }
        for name in ["api", "db", "web"] {
            let vmms = env.qemuProcesses(matching: env.stackFolder + "/vms/\(name)/")   // a confined QEMU names no socket
            #expect(vmms.count == 1, "\(name): VMM processes \(vmms)")
            #expect(vmms.first == status[name]?.pid)
        }
        #expect(env.qemuProcesses().count == 3, "VMM processes of the state dir: \(env.qemuProcesses())")
        #expect(try env.vmctl("apply", "--auto-approve", manifest).stdout.contains("No changes."))
    }

    @Test("two applies at once: the second fails at once naming the holder; with --lock-timeout it waits, then has nothing to do; destroy of a stack without volumes removes its folder",
          .timeLimit(.minutes(3)))
    func concurrentApplies() throws {
        let env = try E2EStack(stack: "solo")
        defer { env.tearDown() }
        let manifest = try env.write(Self.solo)
        let holder = try env.spawn("apply", "--auto-approve", manifest)
        let deadline = ContinuousClock.now + .seconds(30)
        while holder.isRunning, ContinuousClock.now < deadline,
              !((try? String(contentsOfFile: env.stackFolder + "/lock.holder", encoding: .utf8)) ?? "").contains("pid \(holder.processIdentifier),") {
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(holder.isRunning)

        let started = ContinuousClock.now
        let refused = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(ContinuousClock.now - started < .seconds(3))
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("stack 'solo' is locked by another vmctl: pid \(holder.processIdentifier), 'vmctl apply', since 20"),
                "\(refused.stderr)")
        #expect(holder.isRunning, "the first apply should still hold the lock")

        let waited = try env.vmctl("apply", "--auto-approve", "--lock-timeout", "2m", manifest)
        #expect(waited.status == 0, "\(waited.stdout)\(waited.stderr)")
        #expect(waited.stdout.contains("No changes."), "\(waited.stdout)")
        holder.waitUntilExit()
        #expect(holder.terminationStatus == 0)
        #expect(try env.status()["one"]?.state == "running")

        let destroy = try env.vmctl("destroy", "--stack", "solo", "--auto-approve")
        #expect(destroy.status == 0, "destroy: \(destroy.stdout)\(destroy.stderr)")
        #expect(env.processes().isEmpty, "processes left by destroy: \(env.processes())")
        #expect(!FileManager.default.fileExists(atPath: env.stackFolder), "left: \(env.files(under: env.stackFolder))")
    }
}
}

/// What the tests need from the host.
enum E2EHost {
    static let qemu = "/usr/bin/qemu-system-x86_64"
    static let ready = FileManager.default.isExecutableFile(atPath: qemu)
        && ((try? FileManager.default.contentsOfDirectory(atPath: "/boot")) ?? []).contains { $0.hasPrefix("vmlinuz-") && $0.hasSuffix("cloud-amd64") }
        && FileManager.default.isExecutableFile(atPath: "/bin/busybox")
}

/// `vmctl status -o json`, the parts the tests read.
struct E2EStatus: Decodable {
    struct VM: Decodable {
        var name: String
        var state: String
        var pid: Int32?
        var signal: Int?
        var exitStatus: Int?
        var lastStop: String?
        var memoryBytes: UInt64
        var drift: Bool?
        var image: String?
        var rootDiskBytes: UInt64?
        var ssh: String?
        var ports: [String]?
        var notReady: String?
        var uid: UInt32?
        var sandboxed: Bool?
    }

    var vms: [VM]
    var volumes: [String: UInt64]

    subscript(name: String) -> VM? { vms.first { $0.name == name } }
}

/// `vmctl plan -o json`, the parts the tests read.
struct E2EPlan: Decodable {
    struct Change: Decodable {
        var address: String
        var action: String
        var impact: String
    }

    var changes: [Change]
}

/// One test's state directory (short and unique: other engineers use /tmp too, and socket paths are limited),
/// the vmctl runs against it, and a teardown that leaves nothing behind.
final class E2EStack {
    let dir: String
    let stack: String
    var stackFolder: String { dir + "/stacks/" + stack }
    /// Added to the environment of every vmctl this stack runs.
    let environment: [String: String]
    private var spawned: [Process] = []

    init(stack: String, environment: [String: String] = [:]) throws {
        dir = "/tmp/vmctl-e2e-" + UUID().uuidString.prefix(8).lowercased()
        self.stack = stack
        self.environment = environment
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    func write(_ yaml: String, as name: String = "stack.yaml") throws -> String {
        let path = dir + "/" + name
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `vmctl COMMAND --state-dir DIR ARGS…`.
    func vmctl(_ command: String, _ arguments: String...) throws -> VMCtlProcess.Output {
        try VMCtlProcess.run([command, "--state-dir", dir] + arguments, env: environment)
    }

    /// Starts vmctl without waiting for it; its output goes to files in the state dir.
    func spawn(_ command: String, _ arguments: String...) throws -> Process { try spawn(command, arguments) }

    var spawnedProcesses: [Process] { spawned }

    func spawn(_ command: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = VMCtlProcess.binary
        process.arguments = [command, "--state-dir", dir] + arguments
        let log = dir + "/spawned-\(spawned.count).log"
        FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = process.standardOutput
        process.standardInput = FileHandle.nullDevice
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        try process.run()
        spawned.append(process)
        return process
    }

    func status(_ manifest: String? = nil) throws -> E2EStatus {
        let out = try vmctl("status", ["-o", "json"] + (manifest.map { [$0] } ?? ["--stack", stack]))
        guard out.status == 0 else { throw E2EFailure("status: \(out.stderr)") }
        return try JSONDecoder().decode(E2EStatus.self, from: Data(out.stdout.utf8))
    }

    func plan(_ manifest: String) throws -> E2EPlan {
        let out = try vmctl("plan", "-o", "json", manifest)
        guard out.status == 0 else { throw E2EFailure("plan: \(out.stderr)") }
        return try JSONDecoder().decode(E2EPlan.self, from: Data(out.stdout.utf8))
    }

    /// How often the guest reached readiness, per `vmctl logs`.
    func readyCount(_ vm: String) throws -> Int {
        let out = try vmctl("logs", "--stack", stack, vm)
        guard out.status == 0 else { throw E2EFailure("logs \(vm): \(out.stderr)") }
        return out.stdout.components(separatedBy: "vmctl-guest ready").count - 1
    }

    /// Processes whose command line contains `pattern` (as `pgrep -f`, without needing procps).
    func processes(matching pattern: String) -> [(pid: Int32, argv: [String])] {
        var found: [(Int32, [String])] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid != getpid(),
                  let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"), !data.isEmpty else { continue }
            let argv = data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            if argv.joined(separator: " ").contains(pattern) { found.append((pid, argv)) }
        }
        return found
    }

    func processes() -> [Int32] { processes(matching: dir).map(\.pid) }

    /// VMM processes only: the wrapper shell names the VM folder too.
    func qemuProcesses(matching pattern: String? = nil) -> [Int32] {
        processes(matching: pattern ?? dir).filter { $0.argv.first?.hasSuffix("qemu-system-x86_64") == true }.map(\.pid)
    }

    /// Paths under `folder`, relative and sorted.
    func files(under folder: String) -> [String] {
        ((FileManager.default.subpaths(atPath: folder)) ?? []).sorted()
    }

    /// Destroys the stack, checks nothing of it still runs, ends whatever does, removes the folder.
    func tearDown() {
        for process in spawned where process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        if FileManager.default.fileExists(atPath: stackFolder) {
            let destroy = try? vmctl("destroy", "--stack", stack, "--auto-approve", "--volumes")
            #expect(destroy?.status == 0, "teardown destroy: \(destroy?.stdout ?? "")\(destroy?.stderr ?? "")")
        }
        let left = processes(matching: dir)
        #expect(left.isEmpty, "processes of \(dir) after destroy: \(left.map { "\($0.pid) \($0.argv.prefix(3).joined(separator: " "))" })")
        for process in left { kill(process.pid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: dir)
    }
}

struct E2EFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

private extension E2EStack {
    func vmctl(_ command: String, _ arguments: [String]) throws -> VMCtlProcess.Output {
        try VMCtlProcess.run([command, "--state-dir", dir] + arguments, env: environment)
    }
}
