import Foundation
@testable import Runtime
import Testing
import VMCtlModel
import VMMControl

/// vmctl-vmm started by the runtime through vmctl-launch (docs/confinement.md): the real VMM on /dev/kvm (nested is
/// fine) running the VMM tests' `ticker` payload, checked through /proc and its control socket. Needs root.
@Suite("vmctl-vmm confined: its own uid, descriptors, a jail, seccomp",
       .enabled(if: geteuid() == 0 && KVMTestHost.builtVMM != nil && KVMTestHost.devKVM && KVMTestHost.assembler,
                "needs root, vmctl-vmm and vmctl-launch built beside the tests, a usable /dev/kvm, and as/ld for the payload"),
       .serialized)
struct ConfinedVMMTests {
    @Test("a confined vmctl-vmm: its uid on every thread, no capability, no_new_privs, seccomp; a jail without the VM's folder or /etc/shadow; the guest still prints and obeys",
          .timeLimit(.minutes(1)))
    func confinedLifeCycle() throws {
        let vmm = try #require(KVMTestHost.builtVMM)
        let env = try FakeVMM(binary: vmm)
        defer { env.cleanup() }
        let payload = try KVMTestHost.assemble("ticker", into: env.folder)
        let runtime = env.runtime()
        let spec = VMSpec(name: "one", cpus: 2, memory: .mib(64), backend: .kvm, kernel: KernelSpec(image: payload, cmdline: ""),
                          readiness: ReadinessSpec(consoleMarker: "tick", timeout: .seconds(20)))
        try runtime.start("one", spec: spec)
        let record = try runtime.requireRecord("one", operation: "test")
        let uid = try #require(record.confinement?.uid, "not confined: \(String(describing: record.confinement))")
        let status = runtime.inspect(record)
        let pid = try #require(status.pid)
        #expect(status.state == .running && status.uid == uid && status.sandboxed == true, "\(status)")

        // Every thread (vCPUs, control server, console, agent): the VM's uid, nothing privileged, filtered.
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
        #expect(tasks.count >= 4, "threads: \(tasks)")
        for task in tasks {
            // A connection thread of the control server may end between the listing and the read.
            guard let fields = try? Self.statusFields("/proc/\(pid)/task/\(task)/status") else { continue }
            #expect(fields["Uid"]?.split(separator: "\t").allSatisfy { $0 == "\(uid)" } == true, "task \(task): Uid \(fields["Uid"] ?? "")")
            #expect(fields["Gid"]?.split(separator: "\t").allSatisfy { $0 == "\(uid)" } == true, "task \(task): Gid \(fields["Gid"] ?? "")")
            #expect(fields["Groups"] == "", "task \(task): Groups \(fields["Groups"] ?? "")")
            #expect(fields["CapEff"] == "0000000000000000" && fields["CapPrm"] == "0000000000000000" && fields["CapBnd"] == "0000000000000000",
                    "task \(task): \(fields)")
            #expect(fields["NoNewPrivs"] == "1" && fields["Seccomp"] == "2", "task \(task): \(fields)")
        }
        // The jail: its own mount namespace; no VM folder, no /etc/shadow; a /dev with kvm and the harmless three.
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/mnt")
                != FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/mnt"))
        let root = "/proc/\(pid)/root"
        #expect(!FileManager.default.fileExists(atPath: root + env.paths.directory), "the VM's folder is visible in the jail")
        #expect(!FileManager.default.fileExists(atPath: root + "/etc/shadow"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/dev").sorted() == ["kvm", "null", "urandom", "zero"])
        // Its descriptors are what the launcher opened: the spec says which, and no path is opened from inside.
        let written = try LaunchSpec.load(Array(try Data(contentsOf: URL(fileURLWithPath: env.paths.launchSpec))))
        let fds = try #require(written.descriptors)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fds.consoleLog)") == env.paths.consoleLog)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fds.kernel)") == payload)

        // It still works: the console log (written through its descriptor), the control socket (bound by the launcher).
        let log = try String(contentsOfFile: env.paths.consoleLog, encoding: .utf8)
        #expect(log.contains("tick"), "console: \(log.suffix(200))")
        try runtime.pause("one")
        #expect(runtime.inspect(record).state == .paused)
        try runtime.resume("one")
        try runtime.reset("one")
        #expect(runtime.inspect(record).pid == pid, "a reset keeps the process")
        #expect(try runtime.stop("one", timeout: .milliseconds(500)) == .forced)
        #expect(runtime.inspect(try runtime.requireRecord("one", operation: "test")).state == .stopped)
        try runtime.destroy("one")
    }

    @Test("a seccomp violation through the launcher kills that vmctl-vmm with SIGSYS (VMCTL_VMM_* crosses the empty environment)",
          .timeLimit(.minutes(1)))
    func violationThroughLauncher() throws {
        let vmm = try #require(KVMTestHost.builtVMM)
        let launcher = try #require(Confinement.launcher(), "vmctl-launch is not built beside the tests")
        let env = try FakeVMM(binary: vmm)
        defer { env.cleanup() }
        let payload = try KVMTestHost.assemble("ticker", into: env.folder)
        try FileManager.default.createDirectory(atPath: env.paths.directory, withIntermediateDirectories: true)
        let unconfined = LaunchSpec(name: "s/one", vcpus: 1, memoryMiB: 64, kernel: payload, cmdline: "", consoleLog: env.paths.consoleLog,
                                    controlSocket: env.paths.controlSocket)
        let leases = VMUIDLeases(folder: env.folder + "/uids")
        let uid = try leases.lease(for: env.paths.directory, previous: nil)
        let command = VMMLaunchCommand(launcher: launcher, binary: vmm, uid: uid, spec: unconfined, specPath: env.paths.launchSpec,
                                       environment: ["VMCTL_VMM_TEST_SECCOMP_VIOLATION": "1", "HOME": "/root"])
        #expect(command.arguments.contains("VMCTL_VMM_TEST_SECCOMP_VIOLATION=1") && !command.arguments.contains { $0.hasPrefix("HOME=") })
        try KVMBackend.encode(command.spec).write(to: URL(fileURLWithPath: env.paths.launchSpec))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command.arguments[0])
        process.arguments = Array(command.arguments.dropFirst())
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGSYS,
                "ended with \(process.terminationReason) \(process.terminationStatus)")
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
