import Foundation
import VMCtlModel

/// Drives qemu-system-x86_64: KVM where the host has hardware virtualization, else TCG. Direct kernel boot,
/// serial console to a socket and a log file, virtio disks, QMP on a unix socket.
public struct QEMUBackend: Backend {
    public let kind = BackendKind.qemu
    public var binary: String
    public var accelerator: Accelerator
    /// vmctl-launch, which starts a confined VM's QEMU (beside vmctl; nil: none, every VM runs unconfined).
    public var launcher: String? = Confinement.launcher()

    public enum Accelerator: String, Sendable { case kvm, tcg }

    public init(binary: String = "/usr/bin/qemu-system-x86_64", virtualization: HostVirtualization = .probe()) {
        self.binary = binary
        accelerator = virtualization.hardwareKVM ? .kvm : .tcg
    }

    /// The command line: QEMU's own, or when confined vmctl-launch's, which opens QEMU's files and sockets as root and
    /// execs QEMU unprivileged in its sandbox (docs/confinement.md).
    func arguments(for launch: VMLaunch) -> [String] {
        var resources = QEMUResources(confined: launch.confinement.uid != nil)
        let qemu = qemuArguments(for: launch, resources: &resources)
        guard let uid = launch.confinement.uid, let launcher else { return [binary] + qemu }
        // Threads (not processes: spawn is denied) count against RLIMIT_NPROC: vCPUs, the block thread pool (up to 64), a few more.
        var args = [launcher, "--uid", "\(uid)", "--gid", "\(uid)", "--nofile", "4096", "--nproc", "\(256 + launch.spec.cpus)"]
        if accelerator == .kvm { args += ["--dev", "kvm"] }
        return args + resources.launcherOptions + ["--", binary] + resources.fdsets
            + ["-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"] + qemu
    }

    private func qemuArguments(for launch: VMLaunch, resources: inout QEMUResources) -> [String] {
        let paths = launch.paths
        var args = ["-name", "vmctl:\(launch.stack)/\(launch.name),process=vmctl-\(launch.name)",
                    "-machine", "q35,accel=\(accelerator.rawValue)",
                    "-cpu", accelerator == .kvm ? "host" : "max",
                    "-smp", "\(launch.spec.cpus)",
                    "-m", "\(launch.spec.memory.bytes / ByteSize.mib)M",
                    "-nodefaults", "-no-user-config", "-display", "none"]
        if let image = launch.image {
            args += firmwareArguments(image, resources: &resources)
        }
        if !launch.kernel.isEmpty {
            args += ["-kernel", resources.bootFile(launch.kernel)]
            if let initrd = launch.initrd { args += ["-initrd", resources.bootFile(initrd)] }
            args += ["-append", launch.cmdline]
        }
        args += ["-chardev", "socket,id=console,\(resources.listener(paths.consoleSocket)),server=on,wait=off,logfile=\(resources.log(paths.consoleLog)),logappend=on",
                 "-serial", "chardev:console",
                 "-chardev", "socket,id=qmp,\(resources.listener(paths.controlSocket)),server=on,wait=off",
                 "-mon", "chardev=qmp,mode=control"]
        // A virtio-serial port for the guest agent (vmctl exec); a guest without an agent ignores it.
        args += ["-device", "virtio-serial-pci,id=vser0",
                 "-chardev", "socket,id=agent,\(resources.listener(paths.agentSocket)),server=on,wait=off",
                 "-device", "virtserialport,bus=vser0.0,chardev=agent,name=vmctl.agent"]
        for (index, nic) in launch.nics.enumerated() {
            switch nic.attachment {
            case .switchSocket(let socket):
                // QEMU's stream netdev speaks length-prefixed frames over the switch's unix socket.
                args += ["-netdev", "stream,id=net\(index),server=off,\(resources.switchAddress(socket))"]
            case .tap(let name):
                args += ["-netdev", "tap,id=net\(index),\(resources.tap(name))"]
            }
            args += ["-device", "virtio-net-pci,netdev=net\(index),mac=\(nic.mac)"]
        }
        if let image = launch.image {
            // The root disk first (vda): a qcow2 overlay whose backing format is in its header, so nothing is probed.
            if resources.confined, let base = image.base, let format = image.baseFormat {
                // Confined: the backing chain spelled out, so QEMU opens the base by descriptor, not by the overlay's path.
                args += ["-blockdev", "driver=file,node-name=base-file,filename=\(resources.image(base, writable: false)),read-only=on",
                         "-blockdev", "driver=\(format.rawValue),node-name=base,file=base-file,read-only=on",
                         "-blockdev", "driver=file,node-name=root-file,filename=\(resources.image(image.rootDisk, writable: true)),discard=unmap",
                         "-blockdev", "driver=qcow2,node-name=root-disk,file=root-file,backing=base,discard=unmap",
                         "-device", "virtio-blk-pci,drive=root-disk,id=root"]
            } else {
                args += ["-drive", "id=root,file=\(image.rootDisk),if=virtio,format=qcow2,cache=writeback,discard=unmap"]
            }
            // QEMU's user network with restrict=on: SSH and the manifest's ports from the host, nothing out.
            args += ["-netdev", image.management.netdev(id: "mgmt", sshPort: image.sshPort, ports: launch.spec.ports),
                     "-device", "virtio-net-pci,netdev=mgmt,mac=\(image.management.mac)"]
        }
        for (index, disk) in launch.disks.enumerated() {
            // Read-only attachments may be shared by many VMs: they take no image lock.
            let options = disk.readOnly ? ",readonly=on,file.locking=off" : ""
            args += ["-drive", "id=disk\(index),file=\(resources.image(disk.path, writable: !disk.readOnly)),if=virtio,format=raw,cache=writeback\(options)"]
        }
        if let image = launch.image {
            // The seed last, so volumes keep the letters they have in the manifest's order (vdb, vdc, …).
            args += ["-drive", "id=seed,file=\(resources.image(image.seed, writable: false)),if=virtio,format=raw,readonly=on"]
        }
        return args
    }

    /// UEFI: OVMF's code read-only and the VM's own variables; BIOS: QEMU's SeaBIOS, the default.
    func firmwareArguments(_ image: ImageBoot, resources: inout QEMUResources) -> [String] {
        guard image.firmware == .uefi, let code = image.firmwareCode, let vars = image.firmwareVars else { return [] }
        return ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=\(resources.image(code, writable: false))",
                "-drive", "if=pflash,format=raw,unit=1,file=\(resources.image(vars, writable: true))"]
    }

    public func create(_ launch: VMLaunch) throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw RuntimeError.missingTool(tool: binary, package: "qemu-system-x86")
        }
        try AtomicFile.makeDirectory(launch.paths.directory)
    }

    public func start(_ launch: VMLaunch) throws -> (pid: Int32, startTime: UInt64) {
        try create(launch)
        for path in [launch.paths.controlSocket, launch.paths.consoleSocket, launch.paths.agentSocket] where path.utf8.count > 107 {
            throw RuntimeError.vm(name: launch.name, operation: "start", reason: "socket path too long for AF_UNIX: \(path); use a shorter --state-dir")
        }
        let identity = try VMProcess.launch(arguments(for: launch), paths: launch.paths, cgroupProcs: launch.cgroupProcs) { .vm(name: launch.name, operation: $0, reason: $1) }
        // QEMU listens on its QMP socket once the machine is built; wait for it so callers can talk to it.
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if (try? QMPClient(path: launch.paths.controlSocket, timeout: .seconds(1))) != nil { return identity }
            // Ended, not "not ours": while vmctl-launch execs QEMU its /proc/PID/cmdline reads empty for a moment.
            if KVMBackend.hasEnded(identity.pid, paths: launch.paths) { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw RuntimeError.vm(name: launch.name, operation: "start", reason: "QEMU did not come up: \(VMProcess.lastLines(of: launch.paths.vmmLog))")
    }

    public func stop(_ record: VMRecord, paths: VMPaths, timeout: Duration) throws -> StopOutcome {
        guard let (pid, startTime) = VMProcess.currentPid(record, paths: paths),
              VMProcess.isOurs(pid: pid, startTime: startTime, paths: paths) else { return .alreadyStopped }
        return try stopProcess(name: record.name, pid: pid, startTime: startTime, paths: paths, timeout: timeout)
    }

    public func stopProcess(name: String, pid: Int32, startTime: UInt64?, paths: VMPaths, timeout: Duration) throws -> StopOutcome {
        // Graceful: an ACPI power-button press; the guest shuts down and QEMU exits by itself.
        if let qmp = try? QMPClient(path: paths.controlSocket) {
            _ = try? qmp.execute("system_powerdown")
            if VMProcess.waitForExit(pid: pid, startTime: startTime, paths: paths, timeout: timeout) { return .graceful }
            _ = try? qmp.execute("quit")
            if VMProcess.waitForExit(pid: pid, startTime: startTime, paths: paths, timeout: .seconds(5)) { return .forced }
        }
        // QMP is gone or QEMU ignores it: end the process.
        kill(pid, SIGKILL)
        guard VMProcess.waitForExit(pid: pid, startTime: startTime, paths: paths, timeout: .seconds(5)) else {
            throw RuntimeError.vm(name: name, operation: "stop", reason: "process \(pid) did not exit after SIGKILL")
        }
        return .forced
    }

    public func reset(_ record: VMRecord, paths: VMPaths) throws {
        try command("system_reset", record, paths, operation: "reset")
    }

    public func pause(_ record: VMRecord, paths: VMPaths) throws {
        try command("stop", record, paths, operation: "pause")
    }

    public func resume(_ record: VMRecord, paths: VMPaths) throws {
        try command("cont", record, paths, operation: "resume")
    }

    private func command(_ name: String, _ record: VMRecord, _ paths: VMPaths, operation: String) throws {
        guard let (pid, startTime) = VMProcess.currentPid(record, paths: paths),
              VMProcess.isOurs(pid: pid, startTime: startTime, paths: paths) else {
            throw RuntimeError.vm(name: record.name, operation: operation, reason: "the VM is not running")
        }
        do { try QMPClient(path: paths.controlSocket).execute(name) } catch {
            throw RuntimeError.vm(name: record.name, operation: operation, reason: "\(error)")
        }
    }

    public func inspect(_ record: VMRecord, paths: VMPaths) -> VMProcessStatus {
        guard let (pid, startTime) = VMProcess.currentPid(record, paths: paths) else {
            return VMProcessStatus(state: .stopped)
        }
        guard VMProcess.isOurs(pid: pid, startTime: startTime, paths: paths) else {
            return VMProcess.endedState(paths: paths, launched: true)
        }
        var status = VMProcessStatus(state: .running, pid: pid, residentBytes: ProcessProbe.residentBytes(of: pid))
        if let qmp = try? QMPClient(path: paths.controlSocket, timeout: .milliseconds(500)),
           let reply = try? qmp.execute("query-status") as? [String: Any] {
            switch reply["status"] as? String {
            case "paused", "suspended": status.state = .paused
            case "guest-panicked", "internal-error": status.state = .panicked
            case "prelaunch", "inmigrate": status.state = .starting
            default: status.state = .running
            }
        }
        if status.state == .running, !FileManager.default.fileExists(atPath: paths.ready) { status.state = .starting }
        return status
    }

    public func destroy(_ record: VMRecord, paths: VMPaths) throws {
        try VMProcess.destroy(record, paths: paths)
    }

    /// Emulation's own memory: TCG's translation cache, which QEMU 7.2 sizes at 1 GiB and fills before it flushes
    /// (measured: 51–55 MiB after the default guest boots, 0.8–1.0 GiB in a Debian image VM running cloud-init), and
    /// the bigger heap of emulated vCPUs (64 MiB malloc arenas). A 512 MiB Debian VM peaked at 1627 MiB; with this it
    /// may use 2304 MiB. KVM needs none of it.
    public static let tcgAllowance = ByteSize.mib(1536)

    public func memoryAllowance(for spec: VMSpec) -> ByteSize {
        accelerator == .tcg ? Self.tcgAllowance : ByteSize(bytes: 0)
    }
}
