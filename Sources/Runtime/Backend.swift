import VMCtlModel

/// Everything a backend needs to boot one VM, resolved by the runtime (default guest, volume paths).
public struct VMLaunch: Sendable {
    public var name: String
    public var stack: String
    public var spec: VMSpec
    public var paths: VMPaths
    /// The kernel to boot directly; empty for an image VM that boots through its firmware and bootloader.
    public var kernel: String
    public var initrd: String?
    public var cmdline: String
    public var disks: [Disk]
    /// In attachment order: the guest names them eth0, eth1, …
    public var nics: [NIC] = []
    /// Printed by the guest when it is ready; nil: ready once the VMM runs (image VMs: SSH and cloud-init decide).
    public var readinessMarker: String?
    /// Image VMs: root disk, seed, firmware and management NIC (set by the runtime before a start).
    public var image: ImageBoot? = nil
    /// The default guest's kernel in words ("micro 6.1.192-vmctl-micro"); nil for a VM with its own kernel or image.
    public var guestKernel: String? = nil
    /// The `cgroup.procs` files of the VM's cgroup, which the VMM is launched into (empty: no cgroup).
    public var cgroupProcs: [String] = []
    /// Whether vmctl-launch starts the VMM unprivileged and sandboxed, as which uid (decided before each start).
    public var confinement: Confinement = .unconfined("not started by vmctl")
    /// Image VMs: the stack NICs as the guest configures them, and its /etc/hosts entries (for the seed).
    var guestNICs: [GuestNIC] = []
    var hosts: [(name: String, address: IPv4Address)] = []
    var guestMounts: [(device: String, mountPoint: String, readOnly: Bool)] = []

    public struct Disk: Sendable {
        public var path: String
        public var readOnly: Bool
    }

    public struct NIC: Sendable {
        public var attachment: Attachment
        public var mac: MACAddress

        public enum Attachment: Sendable {
            /// The unix socket of the network's switch (isolated networks).
            case switchSocket(String)
            /// A tap device on the network's Linux bridge (bridge and nat networks).
            case tap(String)
        }
    }
}

/// How a stop ended: the guest shut down by itself when asked, or vmctl had to end the VMM.
public enum StopOutcome: String, Sendable, Codable {
    case graceful
    case forced
    case alreadyStopped = "already-stopped"
}

/// The live condition of a VM's process, as a backend reads it.
public struct VMProcessStatus: Sendable, Equatable {
    public var state: PowerState
    public var pid: Int32?
    public var exitStatus: Int?
    public var signal: Int?
    public var residentBytes: UInt64?
    /// Why the VMM ended, in words, where the backend knows (kvm: from vmctl-vmm's exit code and log).
    public var exitReason: String? = nil
    /// While it runs: the VMM's real uid, and whether it is sandboxed (not root, no capabilities, no_new_privs, seccomp).
    public var uid: UInt32? = nil
    public var sandboxed: Bool? = nil
}

/// One kind of VMM. Implementations spawn it detached (it must outlive vmctl) and talk to it over its socket.
public protocol Backend: Sendable {
    var kind: BackendKind { get }
    /// Prepares the VM's folder and files; starts nothing.
    func create(_ launch: VMLaunch) throws
    /// Launches the VMM; returns once its control socket answers. The process identity is recorded by the caller.
    func start(_ launch: VMLaunch) throws -> (pid: Int32, startTime: UInt64)
    /// Asks the guest to power off, waits up to `timeout`, then ends the VMM.
    func stop(_ record: VMRecord, paths: VMPaths, timeout: Duration) throws -> StopOutcome
    /// The same for a VMM known only by its process (its record cannot be read): graceful, then forced.
    func stopProcess(name: String, pid: Int32, startTime: UInt64?, paths: VMPaths, timeout: Duration) throws -> StopOutcome
    func reset(_ record: VMRecord, paths: VMPaths) throws
    func pause(_ record: VMRecord, paths: VMPaths) throws
    func resume(_ record: VMRecord, paths: VMPaths) throws
    func inspect(_ record: VMRecord, paths: VMPaths) -> VMProcessStatus
    /// Ends the VMM if it runs and removes the VM's folder.
    func destroy(_ record: VMRecord, paths: VMPaths) throws
    /// Memory the VMM needs beside guest RAM and the manifest's overhead allowance (added to its cgroup's limit).
    func memoryAllowance(for spec: VMSpec) -> ByteSize
    /// vmctl-launch, which starts this backend's VMMs confined (docs/confinement.md); nil: they run as vmctl's user.
    var launcher: String? { get }
}

extension Backend {
    public func memoryAllowance(for spec: VMSpec) -> ByteSize { ByteSize(bytes: 0) }
    public var launcher: String? { nil }
}
