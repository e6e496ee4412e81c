import Foundation

/// One VM's cgroup: a folder in the v2 hierarchy, or one in each v1 hierarchy vmctl uses. It writes limits, lists
/// members and removes itself when empty; moving the VMM in is the launch wrapper's job (`procsFiles`), and ending
/// the processes is the caller's.
public struct VMCgroup: Equatable, Sendable {
    public enum Version: String, Sendable { case v1, v2 }

    public let version: Version
    /// The hierarchies' mount points (one for v2).
    let mounts: [String]
    /// `vmctl/<group>/<vm>`, the same in every hierarchy.
    public let relative: String
    /// Controller → the VM's folder in the hierarchy that holds it (v2: the one folder for all).
    let folders: [String: String]

    /// The VM's folders, one per hierarchy.
    public var directories: [String] { Array(Set(folders.values)).sorted() }
    /// Where a process writes its pid to join (cgroup.procs moves all its threads, in v1 as in v2).
    public var procsFiles: [String] { directories.map { $0 + "/cgroup.procs" } }
    public var exists: Bool { directories.contains(where: CgroupFiles.exists) }

    /// Creates the folders (and their parents), enables the controllers on the way down (v2) and writes the limits.
    /// An existing cgroup (a crashed VM's) is reused. Retries when a parent vanishes meanwhile: the last VM of a
    /// stack removes the stack's folder, maybe while another VM of it starts.
    public func create(_ limits: CgroupLimits) throws(CgroupError) {
        for attempt in 1... {
            do {
                try makeFolders()
                break
            } catch {
                guard case .io(_, _, ENOENT) = error, attempt < 4 else { throw error }
            }
        }
        try apply(limits)
    }

    private func makeFolders() throws(CgroupError) {
        let levels = relative.split(separator: "/").map(String.init)
        for mount in mounts {
            var folder = mount
            for level in levels {
                if version == .v2 { try enableControllers(in: folder) }
                folder += "/" + level
                try CgroupFiles.makeDirectory(folder)
            }
        }
    }

    /// v2 lets a child use a controller only when its parent lists it in cgroup.subtree_control. One write per
    /// controller, so a refusal names the one refused.
    private func enableControllers(in folder: String) throws(CgroupError) {
        let file = folder + "/cgroup.subtree_control"
        let enabled = Set((CgroupFiles.read(file) ?? "").split(whereSeparator: \.isWhitespace).map(String.init))
        for controller in CgroupLayout.needed where !enabled.contains(controller) {
            try CgroupFiles.write("+" + controller, to: file)
        }
    }

    /// Writes every limit; also used to change them on a running VM.
    public func apply(_ limits: CgroupLimits) throws(CgroupError) {
        switch version {
        case .v2:
            try write(limits.cpuMax, "cpu", "cpu.max")
            try write("\(limits.cpuWeight)", "cpu", "cpu.weight")
            try write("\(limits.memoryMax)", "memory", "memory.max")
            try write("\(limits.pidsMax)", "pids", "pids.max")
        case .v1:
            try write("\(CgroupLimits.periodMicros)", "cpu", "cpu.cfs_period_us")
            try write(limits.cpuQuotaMicros.map(String.init) ?? "-1", "cpu", "cpu.cfs_quota_us")
            try write("\(limits.cpuShares)", "cpu", "cpu.shares")
            try write("\(limits.memoryMax)", "memory", "memory.limit_in_bytes")
            try write("\(limits.pidsMax)", "pids", "pids.max")
        }
    }

    private func write(_ value: String, _ controller: String, _ file: String) throws(CgroupError) {
        guard let folder = folders[controller] else { return }
        try CgroupFiles.write(value, to: folder + "/" + file)
    }

    /// Moves a process (all its threads) in. VMs join through the launch wrapper instead, before the VMM exists.
    public func add(pid: Int32) throws(CgroupError) {
        for file in procsFiles { try CgroupFiles.write("\(pid)", to: file) }
    }

    /// The processes in the cgroup, from every hierarchy.
    public var members: [Int32] { Array(Set(procsFiles.flatMap(CgroupFiles.pids))).sorted() }

    /// Removes the VM's folders once no process is left in them (the caller ends and waits for the processes), then
    /// the stack's folder where it is empty. The top `vmctl` folder stays, as other state folders may use it.
    public func remove() throws(CgroupError) {
        for file in procsFiles {
            let pids = CgroupFiles.pids(file)
            if !pids.isEmpty { throw .notEmpty(path: String(file.dropLast("/cgroup.procs".count)), pids: pids) }
        }
        for folder in directories where CgroupFiles.exists(folder) {
            guard rmdir(folder) == 0 || errno == ENOENT else { throw .io(operation: "remove", path: folder, code: errno) }
        }
        for folder in directories {
            rmdir((folder as NSString).deletingLastPathComponent)   // fails (EBUSY, ENOTEMPTY) while other VMs are there
        }
    }

    /// Removes the cgroup, waiting up to `timeout` for its last process (the launch wrapper writes the exit status
    /// just after the VMM ends) to leave.
    public func remove(waiting timeout: Duration) throws(CgroupError) {
        let deadline = ContinuousClock.now + timeout
        while true {
            do { return try remove() } catch .notEmpty(let path, let pids) {
                if ContinuousClock.now >= deadline { throw .notEmpty(path: path, pids: pids) }
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }
}
