import Foundation
import Testing
import VMCtlModel
@testable import Runtime

/// The v2 code on a host that has v1: a temporary folder laid out like a stock Debian 12 (cgroup2 at /sys/fs/cgroup,
/// mountinfo saying so), with `CgroupSystem(root:)` pointed at it. The kernel's part (interface files appearing with a
/// folder) is played by the test where it matters.
@Suite("cgroup v2 on a fake tree")
struct CgroupV2FakeTreeTests {
    let root: String
    var mount: String { root + "/sys/fs/cgroup" }

    init() throws {
        root = NSTemporaryDirectory() + "vmctl-cg2-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: root + "/proc/self", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/sys/fs/cgroup", withIntermediateDirectories: true)
        try """
            22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
            25 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot

            """.write(toFile: root + "/proc/self/mountinfo", atomically: true, encoding: .utf8)
        try "cpuset cpu io memory hugetlb pids rdma misc\n".write(toFile: mount + "/cgroup.controllers", atomically: true, encoding: .utf8)
        try "memory pids\n".write(toFile: mount + "/cgroup.subtree_control", atomically: true, encoding: .utf8)
    }

    func read(_ relative: String) -> String? { try? String(contentsOfFile: mount + "/" + relative, encoding: .utf8) }

    @Test("detects v2 from mountinfo and cgroup.controllers; one folder vmctl/<stack>/<vm>")
    func layout() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let system = CgroupSystem(root: root)
        #expect(system.layout == .success(.unified(mount: "/sys/fs/cgroup")))
        let cgroup = try system.vm(group: "web", name: "api")
        #expect(cgroup.version == .v2)
        #expect(cgroup.directories == [mount + "/vmctl/web/api"])
        #expect(cgroup.procsFiles == [mount + "/vmctl/web/api/cgroup.procs"])
    }

    @Test("create enables on every parent the controllers it lacks (cpu, memory, pids) and writes the limits")
    func create() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spec = VMSpec(name: "api", cpus: 2, memory: .mib(512), limits: VMLimits(cpuQuotaPercent: 150, memoryOverhead: .mib(128), pids: 300))
        let cgroup = try CgroupSystem(root: root).vm(group: "web", name: "api")
        try cgroup.create(CgroupLimits(spec: spec))
        // The root already had memory and pids: only cpu was missing there (the fake file keeps the last write).
        #expect(read("cgroup.subtree_control") == "+cpu")
        #expect(read("vmctl/cgroup.subtree_control") == "+pids")
        #expect(read("vmctl/web/cgroup.subtree_control") == "+pids")
        #expect(read("vmctl/web/api/memory.max") == "\(640 << 20)")
        #expect(read("vmctl/web/api/cpu.max") == "150000 100000")
        #expect(read("vmctl/web/api/cpu.weight") == "200")
        #expect(read("vmctl/web/api/pids.max") == "300")
        #expect(read("vmctl/web/api/cgroup.subtree_control") == nil, "a leaf enables nothing")
    }

    @Test("defaults: memory + 256MiB, no quota, 512 pids, weight 100 per vCPU (capped at 10000); limits change in place")
    func defaultsAndUpdate() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cgroup = try CgroupSystem(root: root).vm(group: "web", name: "db")
        try cgroup.create(CgroupLimits(spec: VMSpec(name: "db")))
        #expect(read("vmctl/web/db/memory.max") == "\(512 << 20)")
        #expect(read("vmctl/web/db/cpu.max") == "max 100000")
        #expect(read("vmctl/web/db/pids.max") == "512")
        #expect(CgroupLimits(spec: VMSpec(name: "big", cpus: 255)).cpuWeight == 10_000)
        try cgroup.apply(CgroupLimits(spec: VMSpec(name: "db", limits: VMLimits(cpuQuotaPercent: 20))))
        #expect(read("vmctl/web/db/cpu.max") == "20000 100000")
    }

    @Test("usage reads cpu.stat, memory.current/peak/max, pids.current/max and cpu.max")
    func usage() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cgroup = try CgroupSystem(root: root).vm(group: "web", name: "api")
        try cgroup.create(CgroupLimits(spec: VMSpec(name: "api", limits: VMLimits(cpuQuotaPercent: 50))))
        let folder = mount + "/vmctl/web/api/"
        try "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n".write(toFile: folder + "cpu.stat", atomically: true, encoding: .utf8)
        try "104857600\n".write(toFile: folder + "memory.current", atomically: true, encoding: .utf8)
        try "125829120\n".write(toFile: folder + "memory.peak", atomically: true, encoding: .utf8)
        try "7\n".write(toFile: folder + "pids.current", atomically: true, encoding: .utf8)
        let usage = cgroup.usage()
        #expect(usage == CgroupUsage(cpuSeconds: 2.5, memoryBytes: 100 << 20, memoryPeakBytes: 120 << 20, memoryLimitBytes: 512 << 20,
                                     pids: 7, pidsLimit: 512, cpuQuotaPercent: 50))
    }

    @Test("removal only when cgroup.procs is empty; then the VM's folder and an empty stack folder go, vmctl stays")
    func removal() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cgroup = try CgroupSystem(root: root).vm(group: "web", name: "api")
        try cgroup.create(CgroupLimits(spec: VMSpec(name: "api")))
        let folder = mount + "/vmctl/web/api"
        try "4242\n".write(toFile: folder + "/cgroup.procs", atomically: true, encoding: .utf8)
        #expect(throws: CgroupError.notEmpty(path: folder, pids: [4242])) { try cgroup.remove() }
        #expect(FileManager.default.fileExists(atPath: folder))
        // The kernel: an empty cgroup's interface files go with its folder.
        for file in try FileManager.default.contentsOfDirectory(atPath: folder) { try FileManager.default.removeItem(atPath: folder + "/" + file) }
        try FileManager.default.removeItem(atPath: mount + "/vmctl/web/cgroup.subtree_control")
        try cgroup.remove()
        #expect(!FileManager.default.fileExists(atPath: folder))
        #expect(!FileManager.default.fileExists(atPath: mount + "/vmctl/web"))
        #expect(FileManager.default.fileExists(atPath: mount + "/vmctl"))
    }

    @Test("names are checked before they become paths; another state folder's stack gets its own folder")
    func names() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let system = CgroupSystem(root: root)
        for (group, name) in [("../etc", "api"), ("web", "a/b"), ("web", ".."), ("web.zz", "api"), ("Web", "api")] {
            #expect(throws: CgroupError.self, "\(group)/\(name)") { try system.vm(group: group, name: name) }
        }
        #expect(CgroupSystem.group(stack: "web", stateDirectory: "/var/lib/vmctl") == "web")
        let other = CgroupSystem.group(stack: "web", stateDirectory: "/tmp/state")
        #expect(other.hasPrefix("web.") && other.count == 12 && other != CgroupSystem.group(stack: "web", stateDirectory: "/tmp/state2"))
        #expect(throws: Never.self) { try system.vm(group: other, name: "api") }
    }

    @Test("layouts: hybrid (v1 controllers, empty v2) is v1; nothing usable says what is missing")
    func hybrid() {
        let hybrid = """
            32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
            35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
            41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """
        let layout = CgroupLayout.detect(mountinfo: hybrid) { _ in [] }
        #expect(layout == .success(.perController(["cpu": "/sys/fs/cgroup/cpu,cpuacct", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct",
                                                   "memory": "/sys/fs/cgroup/memory", "pids": "/sys/fs/cgroup/pids"])))
        let noPids = CgroupLayout.detect(mountinfo: hybrid.split(separator: "\n").filter { !$0.contains("pids") }.joined(separator: "\n")) { _ in [] }
        #expect(noPids == .failure(.unavailable("cgroup v2 at /sys/fs/cgroup/unified does not offer cpu, memory, pids, and cgroup v1 has no pids controller mounted")))
        #expect(MountInfoLine.unescape(#"/mnt/with\040space"#) == "/mnt/with space")
    }
}
