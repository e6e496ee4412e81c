import Foundation
import VMCtlModel

/// The host's cgroups as vmctl uses them. Every path starts with `root` ("" on a real host), so tests point the whole
/// thing (mountinfo included) at a fake tree.
public struct CgroupSystem: Sendable {
    public let root: String
    public let layout: Result<CgroupLayout, CgroupError>

    /// Every VM's cgroup lives under this folder of each hierarchy: `vmctl/<stack>/<vm>`.
    public static let top = "vmctl"

    public init(root: String = "") {
        self.root = root
        let mountinfo = CgroupFiles.read(root + "/proc/self/mountinfo") ?? ""
        layout = CgroupLayout.detect(mountinfo: mountinfo) { mount in
            CgroupFiles.read(root + mount + "/cgroup.controllers").map { Set($0.split(whereSeparator: \.isWhitespace).map(String.init)) }
        }
    }

    /// The cgroup of one VM. `group` is the stack's folder name (`CgroupSystem.group`); names are checked again here,
    /// as they become paths.
    public func vm(group: String, name: String) throws(CgroupError) -> VMCgroup {
        let stackName = group.split(separator: ".", maxSplits: 1).first.map(String.init) ?? ""
        for part in [stackName, name] {
            if let problem = ResourceName.problem(with: part) { throw .badName("'\(part)' \(problem)") }
        }
        if group != stackName, group.count != stackName.count + 9 || !group.suffix(8).allSatisfy(\.isHexDigit) { throw .badName(group) }
        let relative = "\(Self.top)/\(group)/\(name)"
        switch layout {
        case .failure(let error): throw error
        case .success(.unified(let mount)):
            let folder = root + mount + "/" + relative
            return VMCgroup(version: .v2, mounts: [root + mount], relative: relative,
                            folders: Dictionary(uniqueKeysWithValues: CgroupLayout.v1Controllers.map { ($0, folder) }))
        case .success(.perController(let mounts)):
            return VMCgroup(version: .v1, mounts: Array(Set(mounts.values)).sorted().map { root + $0 }, relative: relative,
                            folders: mounts.mapValues { root + $0 + "/" + relative })
        }
    }

    /// A stack's folder: its name for the default state folder, else `<stack>.<8 hex>` from the state folder's path,
    /// so two state folders (tests, users) with a stack of the same name never share a cgroup. `.` is never in a name.
    public static func group(stack: String, stateDirectory: String) -> String {
        let absolute = URL(fileURLWithPath: stateDirectory).standardizedFileURL.path
        if absolute == "/var/lib/vmctl" { return stack }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325   // FNV-1a: stable across runs, unlike Hasher
        for byte in absolute.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return stack + "." + String(String(hash, radix: 16).suffix(8)).leftPadded(to: 8)
    }
}

private extension String {
    func leftPadded(to length: Int) -> String { String(repeating: "0", count: max(0, length - count)) + self }
}
