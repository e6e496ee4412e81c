import Foundation
import Reconciler
import Runtime
import VMCtlModel

/// What `vmctl status` shows (schemas/status.v1.json).
struct StatusReport: Encodable {
    struct VM: Encodable {
        var name: String
        var state: String
        var backend: String
        var backendReason: String
        var cpus: Int
        var memoryBytes: UInt64
        var uptimeSeconds: Double?
        var pid: Int32?
        var exitStatus: Int?
        var signal: Int?
        /// Why the VMM ended, where the backend knows (kvm: vmctl-vmm's exit code and log).
        var exitReason: String?
        var residentBytes: UInt64?
        /// While it runs: the VMM's uid and whether it is sandboxed; why not, where vmctl started it unconfined.
        var uid: UInt32? = nil
        var sandboxed: Bool? = nil
        var unconfinedReason: String? = nil
        var lastStop: String?
        /// nil without a manifest; true when the running spec differs from it or the manifest lacks the VM.
        var drift: Bool?
        var inManifest: Bool?
        var image: String? = nil
        var rootDiskBytes: UInt64? = nil
        var ssh: String? = nil
        var ports: [String]? = nil
        var notReady: String? = nil
        /// State unknown: the VM's state file, which cannot be read, and why.
        var stateFile: String? = nil
        var stateError: String? = nil
        /// Supervised by `vmctl reconcile`: starts after an exit, and the next try while in a crash loop.
        var restarts: Int? = nil
        var nextAttempt: String? = nil
        /// While the VMM runs: its cgroup and what it used, or why it runs without one.
        var cgroup: CgroupView? = nil
        var cgroupProblem: String? = nil
        /// The default guest's kernel it booted ("micro 6.1.192-vmctl-micro"); nil for its own kernel or an image.
        var guestKernel: String? = nil
    }

    /// A running VM's cgroup (`vmctl/<stack>/<vm>` in each hierarchy) and its usage against its limits.
    struct CgroupView: Encodable {
        var path: String
        var version: String
        var cpuSeconds: Double?
        var cpuQuotaPercent: Double?
        var memoryBytes: UInt64?
        var memoryPeakBytes: UInt64?
        var memoryLimitBytes: UInt64?
        var pids: Int?
        var pidsLimit: Int?

        init(_ cgroup: VMCgroup) {
            let usage = cgroup.usage()
            path = cgroup.relative
            version = cgroup.version.rawValue
            cpuSeconds = usage.cpuSeconds.map { ($0 * 1000).rounded() / 1000 }
            cpuQuotaPercent = usage.cpuQuotaPercent
            memoryBytes = usage.memoryBytes
            memoryPeakBytes = usage.memoryPeakBytes
            memoryLimitBytes = usage.memoryLimitBytes
            pids = usage.pids
            pidsLimit = usage.pidsLimit
        }
    }

    /// The reconciler's view of the stack (its status file), when one manages it or it is suspended.
    struct ReconcilerView: Encodable {
        var running: Bool
        var pid: Int32?
        var source: String?
        var suspended: Bool
        var ready: Bool?
        var reason: String?
        var message: String?
        var lastAppliedRevision: String?
        var lastAttemptedRevision: String?
        var nextTick: String?
    }

    var formatVersion = 1
    var stack: String
    var vms: [VM]
    var networks: [String]
    var volumes: [String: UInt64]
    var reconciler: ReconcilerView? = nil

    static func read(_ runtime: StackRuntime, desired: Stack?) throws -> StatusReport {
        let scan = runtime.scanRecords()
        let records = scan.records
        let instances = desired.map { Dictionary($0.instances.map { ($0.name, $0.spec) }, uniquingKeysWith: { a, _ in a }) }
        let now = Date().timeIntervalSince1970
        var vms: [VM] = []
        let statuses = runtime.inspectAll(records)
        for (name, record) in records.sorted(by: { $0.key < $1.key }) {
            let status = statuses[name] ?? runtime.inspect(record)
            let wanted = instances?[name]
            let drift = instances.map { _ in wanted.map { VMDriftCheck.differs(record.spec, $0) } ?? true }
            var vm = VM(name: name, state: status.state.rawValue, backend: record.backend.rawValue, backendReason: record.backendReason,
                        cpus: record.spec.cpus, memoryBytes: record.spec.memory.bytes,
                        uptimeSeconds: status.state.holdsResources ? record.launchedAt.map { max(0, now - $0) } : nil,
                        pid: status.pid, exitStatus: status.exitStatus, signal: status.signal, exitReason: status.exitReason,
                        residentBytes: status.residentBytes,
                        lastStop: record.lastStop, drift: drift, inManifest: instances.map { $0[name] != nil })
            if status.state.holdsResources {
                if case .success(let cgroup) = runtime.cgroup(of: name), cgroup.exists { vm.cgroup = CgroupView(cgroup) }
                vm.cgroupProblem = record.cgroupProblem
            }
            if status.pid != nil {
                (vm.uid, vm.sandboxed) = (status.uid, status.sandboxed)
                if status.sandboxed != true { vm.unconfinedReason = record.confinement?.unconfinedReason ?? "started before vmctl confined VMs" }
                vm.guestKernel = record.guestKernel
            }
            if record.spec.image != nil {
                let paths = runtime.paths.vm(name)
                vm.image = record.imageDigest
                vm.rootDiskBytes = DiskUsage.allocatedBytes(paths.rootDisk)
                vm.ssh = record.sshPort.map { "127.0.0.1:\($0)" }
                vm.ports = record.spec.ports.map(\.summary)
                if status.state == .starting { vm.notReady = try? String(contentsOfFile: paths.notReady, encoding: .utf8) }
            }
            vms.append(vm)
        }
        for (name, damaged) in scan.damaged {
            // Its spec and power state are unknown; its VMM may still run, found by the wrapper's pid file.
            let process = runtime.damagedVMProcess(name)
            vms.append(VM(name: name, state: "unknown", backend: process?.backend?.rawValue ?? "-",
                          backendReason: "unknown: its state file cannot be read", cpus: 0, memoryBytes: 0,
                          pid: process?.pid,
                          inManifest: instances.map { $0[name] != nil }, stateFile: damaged.file, stateError: damaged.reason))
        }
        vms.sort { $0.name < $1.name }
        if let instances {
            for name in instances.keys.sorted() where records[name] == nil && scan.damaged[name] == nil {
                vms.append(VM(name: name, state: "absent", backend: "-", backendReason: "not created yet", cpus: instances[name]?.cpus ?? 0,
                              memoryBytes: instances[name]?.memory.bytes ?? 0, drift: true, inManifest: true))
            }
        }
        let (reconciler, supervised) = reconcilerView(runtime)
        for index in vms.indices {
            guard let supervision = supervised[vms[index].name] else { continue }
            vms[index].restarts = supervision.restarts
            if ["stopped", "crashed"].contains(vms[index].state), reconciler?.running == true, supervision.inCrashLoop(at: Date()) {
                vms[index].state = "crash-loop"
                vms[index].nextAttempt = supervision.nextAttempt.map { ISO8601DateFormatter().string(from: $0) }
            }
        }
        // Networks and volumes only: the VMs were inspected above, once.
        return StatusReport(stack: runtime.stack, vms: vms, networks: try runtime.observeNetworks().keys.sorted(),
                            volumes: try runtime.observeVolumes().mapValues(\.size.bytes), reconciler: reconciler)
    }

    private static func reconcilerView(_ runtime: StackRuntime) -> (ReconcilerView?, [String: VMSupervision]) {
        let paths = ReconcilePaths(stateDirectory: runtime.stateDirectory, stack: runtime.stack)
        let status = ReconcileStatus.read(paths.status)
        let owner = ReconcilerLease.holder(paths)
        let suspended = SuspendState.read(paths) != nil
        guard status != nil || owner != nil || suspended else { return (nil, [:]) }
        let ready = status?.condition("Ready")
        let iso = ISO8601DateFormatter()
        let view = ReconcilerView(running: owner != nil, pid: owner?.pid, source: owner?.source ?? status?.source, suspended: suspended,
                                  ready: ready?.status, reason: ready?.reason, message: ready?.message,
                                  lastAppliedRevision: status?.lastAppliedRevision, lastAttemptedRevision: status?.lastAttemptedRevision,
                                  nextTick: owner == nil ? nil : status?.nextTick.map { iso.string(from: $0) })
        return (view, owner == nil ? [:] : status?.vms ?? [:])
    }

    func table(style: Style, wide: Bool = false) -> String {
        var rows = [["NAME", "STATE", "BACKEND", "CPUS", "MEMORY", "UPTIME", "PID"]
                    + (wide ? ["UID", "SANDBOX", "CPU-TIME", "MEM-USED", "PIDS", "WHY"] : [])]
        for vm in vms {
            var state = vm.state
            if let signal = vm.signal { state += " (signal \(signal))" } else if let code = vm.exitStatus { state += " (exit \(code))" }
            let known = vm.stateFile == nil
            rows.append([(vm.drift == true ? "*" : "") + vm.name, state, vm.backend, known ? "\(vm.cpus)" : "-",
                         known ? ByteSize(bytes: vm.memoryBytes).description : "-", vm.uptimeSeconds.map(Self.uptime) ?? "-",
                         vm.pid.map(String.init) ?? "-"]
                        + (wide ? [vm.uid.map(String.init) ?? "-", vm.sandboxed.map { $0 ? "yes" : "no" } ?? "-"]
                                  + Self.usageColumns(vm.cgroup) + [vm.backendReason] : []))
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        var out = "Stack \(stack)\n"
        for (index, row) in rows.enumerated() {
            let line = row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
            out += (index == 0 ? style.bold(line) : line) + "\n"
        }
        if vms.isEmpty { out += "(no VMs)\n" }
        for vm in vms {
            guard let file = vm.stateFile else { continue }
            let process = vm.pid.map { "its VMM runs (pid \($0))" } ?? "its VMM is not running"
            out += "\(vm.name): cannot read its state file \(file): \(vm.stateError ?? "unknown error"); \(process)\n"
            let damaged = DamagedVM(name: vm.name, file: file, reason: vm.stateError ?? "", pid: vm.pid)
            out += "    hint: \(damaged.advice(stack: stack))\n"
        }
        for vm in vms where vm.state == "crashed" { if let reason = vm.exitReason { out += "\(vm.name): \(reason)\n" } }
        for vm in vms where vm.ssh != nil || !(vm.ports ?? []).isEmpty {
            let forwards = (vm.ssh.map { ["ssh \($0)"] } ?? []) + (vm.ports ?? [])
            out += "\(vm.name): \(forwards.joined(separator: ", "))\n"
        }
        if wide {
            for vm in vms {
                if let image = vm.image {
                    out += "\(vm.name): image sha256:\(image.prefix(12))…, root disk \(ByteSize(bytes: vm.rootDiskBytes ?? 0).approximate) on the host\n"
                }
                if let reason = vm.notReady { out += "\(vm.name): not ready: \(reason)\n" }
                if let cgroup = vm.cgroup { out += "\(vm.name): \(Self.cgroupLine(cgroup))\n" }
                if let problem = vm.cgroupProblem { out += "\(vm.name): \(problem)\n" }
                if let reason = vm.unconfinedReason { out += "\(vm.name): not sandboxed: \(reason)\n" }
                if let kernel = vm.guestKernel { out += "\(vm.name): default guest on the \(kernel) kernel\n" }
            }
        }
        for vm in vms where vm.state == "crash-loop" {
            out += "\(vm.name): crash loop (back-off), next attempt at \(vm.nextAttempt ?? "?"); vmctl events --stack \(stack) shows why\n"
        }
        if let reconciler { out += reconcilerLine(reconciler) }
        if vms.contains(where: { $0.drift == true }) { out += "* differs from the manifest: vmctl plan shows how\n" }
        return out
    }

    private func reconcilerLine(_ view: ReconcilerView) -> String {
        let who = view.running ? "vmctl reconcile (pid \(view.pid.map(String.init) ?? "?"), \(view.source ?? "?"))" : "no reconciler running"
        var line = "Reconciler: \(who)"
        if view.suspended { line += ", SUSPENDED" }
        if let ready = view.ready {
            line += ", \(ready ? "Ready" : "not ready") (\(view.reason ?? "?"))"
        }
        if let revision = view.lastAppliedRevision { line += ", applied \(shortRevision(revision))" }
        if let next = view.nextTick, !view.suspended { line += ", next pass \(next)" }
        line += "\n"
        if view.ready == false, let message = view.message, !message.isEmpty { line += "    \(message)\n" }
        return line
    }

    /// CPU seconds, memory used of its limit, pids of their limit: "12.3s", "120MiB/1.5GiB", "6/512".
    static func usageColumns(_ cgroup: CgroupView?) -> [String] {
        guard let cgroup else { return ["-", "-", "-"] }
        let cpu = cgroup.cpuSeconds.map { String(format: "%.1fs", $0) } ?? "-"
        let limit = cgroup.memoryLimitBytes.map { "/" + ByteSize(bytes: $0).approximate } ?? ""
        let memory = cgroup.memoryBytes.map { ByteSize(bytes: $0).approximate + limit } ?? "-"
        let pids = cgroup.pids.map { "\($0)" + (cgroup.pidsLimit.map { "/\($0)" } ?? "") } ?? "-"
        return [cpu, memory, pids]
    }

    /// "cgroup vmctl/web/api (v2), cpu quota 150%, memory peak 130MiB"
    static func cgroupLine(_ cgroup: CgroupView) -> String {
        var line = "cgroup \(cgroup.path) (\(cgroup.version))"
        if let quota = cgroup.cpuQuotaPercent { line += ", cpu quota \(VMLimits.formatPercent((quota * 10).rounded() / 10))" }
        if let peak = cgroup.memoryPeakBytes { line += ", memory peak \(ByteSize(bytes: peak).approximate)" }
        return line
    }

    static func uptime(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(s % 60)s" }
        return "\(s / 3600)h\(s % 3600 / 60)m"
    }
}
