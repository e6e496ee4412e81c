/// Where this host's cgroup controllers live, read from `/proc/self/mountinfo` (never guessed from paths).
public enum CgroupLayout: Equatable, Sendable {
    /// cgroup v2: one hierarchy whose root offers every controller vmctl needs.
    case unified(mount: String)
    /// cgroup v1: a hierarchy per controller (cpu and cpuacct are often mounted together); controller → mount point.
    case perController([String: String])

    /// CPU weight and quota, the memory limit, the pids limit.
    static let needed = ["cpu", "memory", "pids"]
    /// v1 keeps CPU time in cpuacct; without it usage has no CPU seconds, limits still work.
    static let v1Controllers = ["cpu", "cpuacct", "memory", "pids"]

    /// Prefers v2 where its root offers the needed controllers (a stock Debian 12), else v1 (hybrid hosts mount an
    /// empty v2 beside the v1 controllers). `controllers` reads a v2 mount's `cgroup.controllers`.
    static func detect(mountinfo: String, controllers: (String) -> Set<String>?) -> Result<CgroupLayout, CgroupError> {
        let mounts = mountinfo.split(separator: "\n").compactMap { MountInfoLine(String($0)) }
        let unified = mounts.filter { $0.fileSystem == "cgroup2" }
        for mount in unified.sorted(by: { $0.mountPoint.count < $1.mountPoint.count }) {
            if let offered = controllers(mount.mountPoint), Set(needed).isSubset(of: offered) { return .success(.unified(mount: mount.mountPoint)) }
        }
        var byController: [String: String] = [:]
        for mount in mounts where mount.fileSystem == "cgroup" {
            for option in mount.superOptions where v1Controllers.contains(option) && byController[option] == nil {
                byController[option] = mount.mountPoint
            }
        }
        let missing = needed.filter { byController[$0] == nil }
        if missing.isEmpty { return .success(.perController(byController)) }
        let v2 = unified.isEmpty ? "no cgroup v2 hierarchy" : "cgroup v2 at \(unified.map(\.mountPoint).joined(separator: ", ")) does not offer \(needed.joined(separator: ", "))"
        return .failure(.unavailable("\(v2), and cgroup v1 has no \(missing.joined(separator: ", ")) controller mounted"))
    }
}

/// One line of /proc/self/mountinfo: `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL…] - FSTYPE SOURCE SUPEROPTIONS`.
struct MountInfoLine: Equatable {
    var mountPoint: String
    var fileSystem: String
    var superOptions: [String]

    init?(_ line: String) {
        let fields = line.split(separator: " ").map(String.init)
        guard fields.count >= 10, let dash = fields.firstIndex(of: "-"), dash >= 6, fields.count >= dash + 4 else { return nil }
        mountPoint = Self.unescape(fields[4])
        fileSystem = fields[dash + 1]
        superOptions = fields[dash + 3].split(separator: ",").map(String.init)
    }

    /// The kernel writes space, tab, newline and backslash in paths as octal escapes (`\040`).
    static func unescape(_ text: String) -> String {
        var bytes: [UInt8] = []
        var input = Array(text.utf8)[...]
        while let byte = input.popFirst() {
            if byte == UInt8(ascii: "\\"), input.count >= 3, let value = UInt8(String(decoding: input.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                input = input.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
