import Foundation
import Planner
import VMCtlModel

/// One stack's VMs, networks and volumes on this host: reads their live state and performs single actions.
/// It never prints; callers report progress.
public final class StackRuntime: ObservedStateSource, @unchecked Sendable {
    public let stack: String
    public let paths: StackPaths
    let backends: [BackendKind: any Backend]
    let virtualization: HostVirtualization
    let guests: (any GuestProvider)?
    let volumes: VolumeStore
    /// The host's state folder: the image store and other stacks' forwarded ports live there.
    public let stateDirectory: StateDirectory
    /// Where VMs' cgroups are made (docs/architecture.md, Confinement).
    let cgroups: CgroupSystem

    public init(stateDirectory: StateDirectory, stack: String, backends: [any Backend] = StackRuntime.defaultBackends(),
                virtualization: HostVirtualization = .probe(), guests: (any GuestProvider)? = nil,
                cgroups: CgroupSystem = CgroupSystem()) {
        self.stack = stack
        paths = StackPaths(stateDirectory: stateDirectory, stack: stack)
        self.backends = Dictionary(backends.map { ($0.kind, $0) }, uniquingKeysWith: { a, _ in a })
        self.virtualization = virtualization
        self.guests = guests
        volumes = VolumeStore(paths: paths)
        self.stateDirectory = stateDirectory
        self.cgroups = cgroups
    }

    /// QEMU, and kvm where vmctl-vmm sits beside the running executable.
    public static func defaultBackends() -> [any Backend] {
        [QEMUBackend()] + (KVMBackend.besideExecutable().map { [$0] } ?? [])
    }

    // MARK: Observing

    public func observe(stack: String) throws -> ObservedState {
        precondition(stack == self.stack, "a StackRuntime observes its own stack only")
        return try observe()
    }

    public func observe() throws -> ObservedState {
        var state = ObservedState(stack: stack)
        let scan = scanRecords()
        let records = scan.records
        state.damagedVMs = scan.damaged
        for (name, status) in inspectAll(records) {
            guard let record = records[name] else { continue }
            state.vms[name] = ObservedVM(name: name, spec: record.spec, state: status.state, backend: record.backend,
                                         exitStatus: status.exitStatus, signal: status.signal)
        }
        state.volumes = try observeVolumes()
        state.networks = try observeNetworks()
        return state
    }

    public func observeVolumes() throws -> [String: ObservedVolume] { try volumes.observe() }

    /// Inspects every VM at once: each answer waits on its own VMM's control socket, so asking them in
    /// parallel keeps `vmctl status` fast for many VMs.
    public func inspectAll(_ records: [String: VMRecord]) -> [String: VMProcessStatus] {
        let entries = Array(records)
        let results = InspectionSlots(count: entries.count)
        DispatchQueue.concurrentPerform(iterations: entries.count) { index in
            results.set(index, inspect(entries[index].value))
        }
        var statuses: [String: VMProcessStatus] = [:]
        for (index, entry) in entries.enumerated() { statuses[entry.key] = results.get(index) }
        return statuses
    }

    public func inspect(_ record: VMRecord) -> VMProcessStatus {
        guard let backend = backends[record.backend] else { return VMProcessStatus(state: .stopped) }
        var status = backend.inspect(record, paths: paths.vm(record.name))
        if let pid = status.pid, let sandbox = ProcessProbe.sandbox(of: pid) { (status.uid, status.sandboxed) = (sandbox.uid, sandbox.sandboxed) }
        // A VMM killed at its memory limit: its cgroup stays until the next start or destroy, and counts the kill.
        if status.state == .crashed, status.signal == Int(SIGKILL), status.exitReason == nil,
           case .success(let cgroup) = cgroup(of: record.name), cgroup.exists {
            let usage = cgroup.usage()
            if let kills = usage.oomKills, kills > 0 {
                let limit = usage.memoryLimitBytes.map { " of \(ByteSize(bytes: $0))" } ?? ""
                status.exitReason = "killed: out of memory in its cgroup (its limit\(limit) reached)"
            }
        }
        // Read from the console, not from whether a vmctl was there to see the marker.
        // Image VMs are ready once SSH answers and cloud-init is done: the vmctl that waits for that marks them.
        if status.state == .starting, record.spec.image == nil, reachedReadiness(record, paths: paths.vm(record.name)) { status.state = .running }
        return status
    }

    // MARK: Choosing a backend

    /// Which VMM runs a VM, and why, in words (recorded; `vmctl status` shows it). `auto` takes kvm only where it
    /// runs guests at full speed: hardware KVM (not a nested /dev/kvm), a vmctl-vmm that boots guests, and a spec
    /// within its limits; else QEMU. `kvm` fails at once, naming every reason, where it cannot run the VM.
    public func backendChoice(for spec: VMSpec) throws -> (BackendKind, String) {
        switch spec.backend {
        case .qemu: return (.qemu, "backend: qemu in the manifest")
        case .kvm:
            let obstacles = kvmObstacles(for: spec)
            guard obstacles.isEmpty else {
                throw RuntimeError.vm(name: spec.name, operation: "choose backend",
                                      reason: "backend: kvm cannot run it on this host: \(obstacles.joined(separator: "; ")); use backend: qemu or auto")
            }
            return (.kvm, "backend: kvm in the manifest (\(virtualization.reason))")
        case .auto:
            guard virtualization.hardwareKVM else { return (.qemu, "auto: qemu with TCG (\(virtualization.reason))") }
            let obstacles = kvmObstacles(for: spec)
            if obstacles.isEmpty { return (.kvm, "auto: kvm (\(virtualization.reason))") }
            return (.qemu, "auto: qemu with KVM (\(virtualization.reason); \(obstacles.joined(separator: "; ")))")
        }
    }

    /// Why the kvm backend cannot run `spec` here (empty: it can): the host, then vmctl-vmm, then the spec.
    func kvmObstacles(for spec: VMSpec) -> [String] {
        var obstacles: [String] = []
        if !virtualization.hardwareKVM { obstacles.append("\(virtualization.reason); vmctl-vmm needs hardware KVM (kvm_intel or kvm_amd)") }
        switch backends[.kvm] {
        case let kvm as KVMBackend:
            let support = kvm.bootSupport
            if !support.canBoot { obstacles.append(support.reason) }
        case nil:
            obstacles.append("vmctl-vmm is not installed beside vmctl (build it: swift build --product vmctl-vmm)")
        default: break
        }
        return obstacles + KVMBackend.limitations(of: spec)
    }

    func backend(_ kind: BackendKind, for name: String) throws -> any Backend {
        guard let backend = backends[kind] else {
            throw RuntimeError.vm(name: name, operation: "use backend \(kind.rawValue)", reason: "this vmctl has no \(kind.rawValue) backend")
        }
        return backend
    }

    // MARK: Launch descriptions

    func launch(name: String, spec: VMSpec) throws -> VMLaunch {
        var disks: [VMLaunch.Disk] = []
        var mounts: [(device: String, mountPoint: String, readOnly: Bool)] = []
        for (index, disk) in spec.disks.enumerated() {
            disks.append(VMLaunch.Disk(path: paths.volumeImage(disk.volume), readOnly: disk.readOnly))
            if let mountPoint = disk.mountPoint {
                // virtio disks appear in attachment order: vda, vdb, … (an image VM's root disk is vda).
                let letter = Character(UnicodeScalar(UInt8(97 + index + (spec.image == nil ? 0 : 1))))
                mounts.append(("/dev/vd\(letter)", mountPoint, disk.readOnly))
            }
        }
        let (nics, guestNICs, hosts) = try networking(name: name, spec: spec)
        if spec.image != nil {
            // The image's own bootloader, or `kernel` with its root on the image; SSH and cloud-init say when it is ready.
            var launch = VMLaunch(name: name, stack: stack, spec: spec, paths: paths.vm(name), kernel: spec.kernel?.image ?? "",
                                  initrd: spec.kernel?.initrd, cmdline: spec.kernel?.cmdline ?? "", disks: disks, nics: nics,
                                  readinessMarker: nil)
            launch.guestNICs = guestNICs
            launch.hosts = hosts
            launch.guestMounts = mounts
            return launch
        }
        if let kernel = spec.kernel {
            return VMLaunch(name: name, stack: stack, spec: spec, paths: paths.vm(name), kernel: kernel.image, initrd: kernel.initrd,
                            cmdline: kernel.cmdline ?? "console=ttyS0", disks: disks, nics: nics,
                            readinessMarker: spec.readiness.consoleMarker)
        }
        guard let guests else {
            throw RuntimeError.vm(name: name, operation: "start", reason: "the default guest is not available in this build")
        }
        let guest = try guests.defaultGuest()
        let config = GuestBootConfig(hostname: name, mounts: mounts, nics: guestNICs, hosts: hosts)
        let cmdline = try guest.cmdline(config)
        guard cmdline.utf8.count <= 2047 else {
            throw RuntimeError.vm(name: name, operation: "start", reason: "its kernel command line would be \(cmdline.utf8.count) bytes (limit 2047): too many hosts on its networks")
        }
        var launch = VMLaunch(name: name, stack: stack, spec: spec, paths: paths.vm(name), kernel: guest.kernel, initrd: guest.initrd,
                              cmdline: cmdline, disks: disks, nics: nics,
                              readinessMarker: spec.readiness.consoleMarker ?? guest.readinessMarker)
        launch.guestKernel = guest.kernelDescription
        return launch
    }
}

/// Results of parallel inspections, one slot per VM.
private final class InspectionSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [VMProcessStatus?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ status: VMProcessStatus) { lock.withLock { slots[index] = status } }
    func get(_ index: Int) -> VMProcessStatus { lock.withLock { slots[index] } ?? VMProcessStatus(state: .stopped) }
}
