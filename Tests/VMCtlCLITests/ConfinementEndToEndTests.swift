import Foundation
@testable import Runtime
import Testing

extension RealVMTests {
/// Confined QEMU (vmctl-launch, docs/confinement.md): real default-guest VMs, checked through /proc and QMP. Needs root.
@Suite("End to end: QEMU runs unprivileged and sandboxed",
       .enabled(if: geteuid() == 0, "confinement needs vmctl to run as root"))
struct ConfinementEndToEndTests {
    static let pair = """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: jail}
        volumes:
          secret: {size: 8MiB}
        vms:
          a: {cpus: 1, memory: 128MiB}
          b:
            cpus: 1
            memory: 128MiB
            disks: [{volume: secret}]

        """

    @Test("each QEMU: its own uid, no capability, no_new_privs and seccomp on every thread, its own mount namespace and /dev; QMP cannot open host files nor spawn; status shows it",
          .timeLimit(.minutes(4)))
    func confinedVMs() throws {
        let env = try E2EStack(stack: "jail")
        defer { env.tearDown() }
        let manifest = try env.write(Self.pair)
        let apply = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(apply.status == 0, "apply: \(apply.stdout)\(apply.stderr)")
        let status = try env.status()
        let a = try #require(status["a"]), b = try #require(status["b"])
        #expect(a.state == "running" && b.state == "running", "\(status.vms)")
        let pid = try #require(a.pid), other = try #require(b.pid)

        // Status: the uid each runs as, sandboxed; the two uids differ.
        #expect(a.sandboxed == true && b.sandboxed == true, "\(status.vms)")
        #expect(a.uid != nil && a.uid != 0 && a.uid != b.uid, "uids \(String(describing: a.uid)) \(String(describing: b.uid))")
        let wide = try env.vmctl("status", "--stack", "jail", "--wide")
        #expect(wide.stdout.contains("UID") && wide.stdout.contains("SANDBOX"), "\(wide.stdout)")
        #expect(wide.stdout.split(separator: "\n").filter { $0.hasPrefix("a ") || $0.hasPrefix("b ") }.allSatisfy { $0.contains(" yes ") }, "\(wide.stdout)")

        // /proc: every thread of QEMU is unprivileged and filtered.
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
        #expect(tasks.count > 1)
        for task in tasks {
            let fields = try Self.statusFields("/proc/\(pid)/task/\(task)/status")
            #expect(fields["Uid"]?.split(separator: "\t").allSatisfy { $0 == "\(a.uid ?? 0)" } == true, "task \(task): Uid \(fields["Uid"] ?? "")")
            #expect(fields["CapEff"] == "0000000000000000" && fields["CapPrm"] == "0000000000000000", "task \(task): \(fields)")
            #expect(fields["NoNewPrivs"] == "1" && fields["Seccomp"] == "2", "task \(task): \(fields)")
        }
        // Its own mount namespace, whose /dev holds only what QEMU needs.
        let namespace = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/mnt")
        #expect(namespace != (try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/mnt")))
        let kvm = HostVirtualization.probe().hardwareKVM ? ["kvm"] : []
        #expect(try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/root/dev").sorted() == (["null", "urandom", "zero"] + kvm).sorted())
        #expect(!FileManager.default.fileExists(atPath: "/proc/\(pid)/root/etc/shadow"))

        // QMP: QEMU cannot open a host file nor the other VM's disk.
        let qmp = try QMPClient(path: env.stackFolder + "/vms/a/qmp.sock", timeout: .seconds(5))
        for file in ["/etc/shadow", env.stackFolder + "/volumes/secret.img"] {
            #expect(throws: QMPClient.Failure.self, "blockdev-add \(file)") {
                try qmp.execute("blockdev-add", arguments: ["driver": "file", "node-name": "x", "filename": file])
            }
        }
        // Asked to spawn a process (migration to a command), QEMU's sandbox kills it with SIGSYS; b runs on.
        _ = try? qmp.execute("migrate", arguments: ["uri": "exec:true"])
        var crashed: E2EStatus.VM?
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            crashed = try env.status()["a"]
            if crashed?.state == "crashed" { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(crashed?.state == "crashed" && crashed?.signal == Int(SIGSYS), "\(String(describing: crashed))")
        let after = try env.status()
        #expect(after["b"]?.state == "running" && after["b"]?.pid == other)
    }

    /// `Key:\tvalue` lines of a /proc status file.
    static func statusFields(_ path: String) throws -> [String: String] {
        var fields: [String: String] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }
}
}
