import Foundation
import VMCtlModel

/// Each VM's cgroup: made with its limits before the VMM starts, changed live, removed once the VMM is gone.
extension StackRuntime {
    /// The VM's cgroup, whether or not it exists now; an error where the host has none vmctl can use.
    public func cgroup(of name: String) -> Result<VMCgroup, CgroupError> {
        let group = CgroupSystem.group(stack: stack, stateDirectory: stateDirectory.path)
        return Result { () throws(CgroupError) in try cgroups.vm(group: group, name: name) }
    }

    func cgroupLimits(_ spec: VMSpec, backend: any Backend) -> CgroupLimits {
        CgroupLimits(spec: spec, allowance: backend.memoryAllowance(for: spec))
    }

    /// Creates the cgroup with its limits and returns the files the launch wrapper joins. Where the host lets vmctl
    /// use none (no controllers, not root, read-only), the VM runs without one and `problem` says why (its record
    /// keeps it, `vmctl status` shows it); any other failure stops the start, as the manifest's limits would not hold.
    func confine(_ name: String, spec: VMSpec, backend: any Backend) throws -> (procs: [String], problem: String?) {
        do {
            let cgroup = try cgroup(of: name).get()
            try cgroup.create(cgroupLimits(spec, backend: backend))
            return (cgroup.procsFiles, nil)
        } catch where error.meansUnavailable {
            return ([], "runs without a cgroup: \(error)")
        } catch {
            throw RuntimeError.vm(name: name, operation: "create its cgroup", reason: "\(error)")
        }
    }

    /// Writes a running VM's new limits into its cgroup (a live update).
    func updateCgroup(_ record: VMRecord) throws {
        guard let cgroup = try? cgroup(of: record.name).get(), cgroup.exists,
              inspect(record).state.holdsResources, let backend = backends[record.backend] else { return }
        do { try cgroup.apply(cgroupLimits(record.spec, backend: backend)) } catch {
            throw RuntimeError.vm(name: record.name, operation: "change its limits", reason: "\(error)")
        }
    }

    /// Removes the VM's cgroup once its processes are gone (the caller ended them). One still in use is left: the
    /// next start reuses it, the next stop or destroy removes it.
    func releaseCgroup(_ name: String, waiting timeout: Duration = .seconds(3)) {
        guard let cgroup = try? cgroup(of: name).get(), cgroup.exists else { return }
        try? cgroup.remove(waiting: timeout)
    }
}
