import Foundation
import Testing
import VMCtlModel
@testable import Runtime

enum CgroupV1Host {
    static let ready: Bool = {
        guard geteuid() == 0, case .success(.perController) = CgroupSystem().layout else { return false }
        return true
    }()
}

/// The v1 code on this host's real cgroups (root only): a `sleep` moved into a VM-like cgroup, the limits as the
/// kernel holds them, usage, the pids limit enforced on a shell's forks, and removal.
@Suite("cgroup v1 on this host", .enabled(if: CgroupV1Host.ready, "needs root and cgroup v1 cpu, memory and pids hierarchies"))
struct CgroupV1HostTests {
    let group = CgroupSystem.group(stack: "cgtest", stateDirectory: NSTemporaryDirectory() + UUID().uuidString)

    func spawn(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = arguments
        process.standardError = Pipe()
        try process.run()
        return process
    }

    /// Ends every process in the cgroup, then removes it (the caller's duty that the runtime fulfils for VMs).
    func end(_ cgroup: VMCgroup) throws {
        for pid in cgroup.members { kill(pid, SIGKILL) }
        try cgroup.remove(waiting: .seconds(5))
    }

    @Test("a sleep child: limits written, the process in every hierarchy, usage read, removal")
    func sleepChild() throws {
        let cgroup = try CgroupSystem().vm(group: group, name: "sleeper")
        let spec = VMSpec(name: "sleeper", cpus: 2, memory: .mib(64), limits: VMLimits(cpuQuotaPercent: 25, memoryOverhead: .mib(64), pids: 100))
        try cgroup.create(CgroupLimits(spec: spec))
        let sleeper = try spawn(["-c", "exec sleep 60"])
        defer { sleeper.terminate() }
        do {
            try cgroup.add(pid: sleeper.processIdentifier)
            #expect(cgroup.members == [sleeper.processIdentifier])
            let membership = try String(contentsOfFile: "/proc/\(sleeper.processIdentifier)/cgroup", encoding: .utf8)
            for controller in ["memory", "pids", "cpu"] {
                #expect(membership.split(separator: "\n").contains { $0.hasSuffix("/" + cgroup.relative) && $0.split(separator: ":")[1].split(separator: ",").contains(Substring(controller)) },
                        "\(controller) in \(membership)")
            }
            func file(_ controller: String, _ name: String) throws -> String {
                try String(contentsOfFile: "/sys/fs/cgroup/\(controller)/\(cgroup.relative)/\(name)", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            #expect(try file("memory", "memory.limit_in_bytes") == "\(128 << 20)")
            #expect(try file("cpu", "cpu.cfs_quota_us") == "25000")
            #expect(try file("cpu", "cpu.cfs_period_us") == "100000")
            #expect(try file("cpu", "cpu.shares") == "2048")
            #expect(try file("pids", "pids.max") == "100")
            let usage = cgroup.usage()
            #expect(usage.pids == 1 && usage.pidsLimit == 100)
            #expect(usage.memoryLimitBytes == 128 << 20 && usage.cpuQuotaPercent == 25)
            #expect(usage.cpuSeconds != nil && usage.memoryBytes != nil)
            #expect(throws: CgroupError.self) { try cgroup.remove() }   // the sleep is still in it
        }
        try end(cgroup)
        #expect(!cgroup.exists)
    }

    @Test("the pids limit holds: a shell inside may fork only up to it")
    func pidsEnforced() throws {
        let cgroup = try CgroupSystem().vm(group: group, name: "forker")
        try cgroup.create(CgroupLimits(memoryMax: 256 << 20, cpuWeight: 100, cpuQuotaMicros: nil, pidsMax: 3))
        defer { try? end(cgroup) }
        // As the launch wrapper does: join first, then start children.
        let join = cgroup.procsFiles.map { "echo $$ > \($0)" }.joined(separator: " && ")
        let shell = try spawn(["-c", "\(join) && for i in 1 2 3 4 5; do sleep 30 & done; sleep 1; echo forked >&2; wait"])
        Thread.sleep(forTimeInterval: 1.5)
        #expect(cgroup.usage().pids == 3, "the shell and two sleeps; the other forks were refused")
        try end(cgroup)
        shell.waitUntilExit()
        let stderr = String(decoding: (shell.standardError as? Pipe)?.fileHandleForReading.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        #expect(stderr.contains("fork"), "the shell's complaint: \(stderr)")
    }
}
