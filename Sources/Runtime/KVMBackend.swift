import Foundation
import VMCtlModel
import VMMControl

/// Drives `vmctl-vmm`, vmctl's own VMM on /dev/kvm: writes the VM's launch spec (`launch.json`), spawns
/// `vmctl-vmm launch.json` detached and talks to it over its control socket (docs/control-protocol.md). It never
/// links the VMM: the launch spec, the control protocol and the exit codes are the whole interface.
///
/// NICs go to vmctl-vmm's virtio-net devices: the switch socket of an isolated network, or the tap the runtime
/// made on a bridge. vmctl-vmm serves the VM's `console.sock` (the serial console, for `vmctl console`) and
/// `agent.sock` (its virtio-console's port named `vmctl.agent`, for `vmctl exec`), as QEMU does.
public struct KVMBackend: Backend {
    public let kind = BackendKind.kvm
    /// The vmctl-vmm executable.
    public let binary: String
    /// vmctl-launch, which starts a confined VM's vmctl-vmm (beside vmctl; nil: none, every VM runs unconfined).
    public var launcher: String? = Confinement.launcher()
    private let support: Once<KVMBootSupport>

    /// `bootSupport` answers whether this vmctl-vmm can boot guests; by default it asks `binary --capabilities`
    /// (once, on first use).
    public init(binary: String, bootSupport: (@Sendable () -> KVMBootSupport)? = nil) {
        self.binary = binary
        support = Once(bootSupport ?? { [binary] in KVMBackend.probe(binary) })
    }

    /// The backend for the vmctl-vmm beside the running executable (same build or install folder, like
    /// vmctl-switch); nil where there is none.
    public static func besideExecutable() -> KVMBackend? {
        let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let candidate = URL(fileURLWithPath: own).deletingLastPathComponent().appendingPathComponent("vmctl-vmm").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? KVMBackend(binary: candidate) : nil
    }

    /// Whether this vmctl-vmm can boot guests, and why (asked once).
    public var bootSupport: KVMBootSupport { support.value }

    /// Runs `binary --capabilities` (at most 5 s) and reads its answer; `environment` is added to vmctl's own.
    public static func probe(_ binary: String, environment: [String: String] = [:]) -> KVMBootSupport {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--capabilities"]
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            return KVMBootSupport(canBoot: false, reason: "cannot run \(binary): \(error.localizedDescription)")
        }
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 5, execute: watchdog)
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        guard process.terminationStatus == 0 else {
            return KVMBootSupport(canBoot: false, reason: "\(binary) --capabilities failed (status \(process.terminationStatus)): it cannot tell whether it boots guests")
        }
        let capabilities: VMMCapabilities
        do { capabilities = try VMMCapabilities.decode([UInt8](output)) } catch {
            return KVMBootSupport(canBoot: false, reason: "\(error)")
        }
        return support(from: capabilities)
    }

    /// What a `--capabilities` answer means for this vmctl.
    static func support(from capabilities: VMMCapabilities) -> KVMBootSupport {
        let name = "vmctl-vmm \(capabilities.version)"
        guard capabilities.launchSpecVersion == LaunchSpec.currentVersion, capabilities.controlProtocolVersion == ControlProtocol.version else {
            return KVMBootSupport(canBoot: false, reason: "\(name) reads launch spec \(capabilities.launchSpecVersion) and speaks control protocol \(capabilities.controlProtocolVersion); this vmctl writes launch spec \(LaunchSpec.currentVersion) and speaks control protocol \(ControlProtocol.version)")
        }
        guard capabilities.boot else {
            return KVMBootSupport(canBoot: false, reason: "\(name) cannot boot guests yet: \(capabilities.reason ?? "it gives no reason")")
        }
        return KVMBootSupport(canBoot: true, reason: "\(name) boots guests")
    }

    // MARK: What vmctl-vmm can run

    /// Why vmctl-vmm cannot run `spec` (empty: it can). `backend: auto` picks QEMU for such a VM.
    public static func limitations(of spec: VMSpec) -> [String] {
        var reasons: [String] = []
        if spec.image != nil {
            reasons.append("the kvm backend boots kernels directly: it has no firmware for an image's bootloader and no user-mode network for SSH and ports")
        }
        if !LaunchSpec.Limits.vcpus.contains(spec.cpus) {
            reasons.append("the kvm backend runs \(LaunchSpec.Limits.vcpus.lowerBound) to \(LaunchSpec.Limits.vcpus.upperBound) vCPUs, not \(spec.cpus)")
        }
        let mib = spec.memory.bytes / ByteSize.mib
        if mib > UInt64(LaunchSpec.Limits.memoryMiB.upperBound) || !LaunchSpec.Limits.memoryMiB.contains(Int(mib)) {
            reasons.append("the kvm backend runs \(LaunchSpec.Limits.memoryMiB.lowerBound) MiB to \(LaunchSpec.Limits.memoryMiB.upperBound / 1024) GiB of memory, not \(spec.memory)")
        }
        if spec.disks.count > LaunchSpec.Limits.disks {
            reasons.append("the kvm backend attaches at most \(LaunchSpec.Limits.disks) disks, not \(spec.disks.count)")
        }
        if spec.networks.count > LaunchSpec.Limits.nets {
            reasons.append("the kvm backend attaches at most \(LaunchSpec.Limits.nets) NICs, not \(spec.networks.count)")
        }
        if spec.disks.count + spec.networks.count > LaunchSpec.Limits.virtioDevices {
            reasons.append("the kvm backend attaches at most \(LaunchSpec.Limits.virtioDevices) disks and NICs together, not \(spec.disks.count + spec.networks.count)")
        }
        return reasons
    }

    // MARK: The launch spec

    /// vmctl-vmm's launch spec for `launch`: the same kernel, initrd, command line and disks QEMU would get; the
    /// VMM appends the serial console to the VM's console log itself and serves control, console and agent on
    /// the VM's sockets. The guest's agent finds the port `vmctl.agent` as under QEMU (vmctl-vmm's MULTIPORT
    /// virtio-console), so the command line is the one QEMU gets.
    public static func launchSpec(for launch: VMLaunch) -> LaunchSpec {
        LaunchSpec(name: "\(launch.stack)/\(launch.name)", vcpus: launch.spec.cpus,
                   memoryMiB: Int(clamping: launch.spec.memory.bytes / ByteSize.mib),
                   kernel: launch.kernel, initrd: launch.initrd, cmdline: launch.cmdline,
                   disks: launch.disks.map { LaunchSpec.Disk(path: $0.path, readOnly: $0.readOnly) },
                   nets: launch.nics.map(net),
                   consoleLog: launch.paths.consoleLog, controlSocket: launch.paths.controlSocket, serialInput: true,
                   consoleSocket: launch.paths.consoleSocket, agentSocket: launch.paths.agentSocket)
    }

    private static func net(_ nic: VMLaunch.NIC) -> LaunchSpec.Net {
        switch nic.attachment {
        case .switchSocket(let socket): return LaunchSpec.Net(mac: nic.mac.description, switchSocket: socket)
        case .tap(let name): return LaunchSpec.Net(mac: nic.mac.description, tap: name)
        }
    }

    /// The spec as written to `launch.json`: pretty, keys sorted, slashes unescaped.
    public static func encode(_ spec: LaunchSpec) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(spec) + Data("\n".utf8)
    }

    // MARK: Backend

    public func create(_ launch: VMLaunch) throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw RuntimeError.missingTool(tool: binary, package: "vmctl (build it: swift build --product vmctl-vmm)")
        }
        try AtomicFile.makeDirectory(launch.paths.directory)
    }

    public func start(_ launch: VMLaunch) throws -> (pid: Int32, startTime: UInt64) {
        try create(launch)
        for path in [launch.paths.controlSocket, launch.paths.consoleSocket, launch.paths.agentSocket] where path.utf8.count > 107 {
            throw RuntimeError.vm(name: launch.name, operation: "start", reason: "socket path too long for AF_UNIX: \(path); use a shorter --state-dir")
        }
        var spec = Self.launchSpec(for: launch)
        var argv = [binary, launch.paths.launchSpec]
        if let uid = launch.confinement.uid, let launcher {
            let command = VMMLaunchCommand(launcher: launcher, binary: binary, uid: uid, spec: spec, specPath: launch.paths.launchSpec)
            (spec, argv) = (command.spec, command.arguments)
        }
        let problems = spec.problems()
        guard problems.isEmpty else {
            throw RuntimeError.vm(name: launch.name, operation: "start", reason: "vmctl-vmm cannot take it: " + problems.map(\.description).joined(separator: "; "))
        }
        try AtomicFile.write(Self.encode(spec), to: launch.paths.launchSpec)
        unlink(launch.paths.exit)
        let identity: (pid: Int32, startTime: UInt64)
        do { identity = try VMProcess.launch(argv, paths: launch.paths, cgroupProcs: launch.cgroupProcs) { .vm(name: launch.name, operation: $0, reason: $1) } } catch {
            // It ended before its pid was read: say how, in its own words.
            guard let reason = Self.exitReason(paths: launch.paths) else { throw error }
            throw RuntimeError.vm(name: launch.name, operation: "start", reason: reason)
        }
        // vmctl-vmm serves its control socket before it boots: once `describe` answers, it is up.
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let description = try? ControlClient(path: launch.paths.controlSocket, timeout: .seconds(1)).describe() {
                if description.state != .stopping { return identity }
                // Stopping right after start: a VMM that cannot boot (or a guest that powered off at once).
                let until = ContinuousClock.now + .seconds(2)
                while !Self.hasEnded(identity.pid, paths: launch.paths), ContinuousClock.now < until { Thread.sleep(forTimeInterval: 0.01) }
                break
            }
            if Self.hasEnded(identity.pid, paths: launch.paths) { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        if !Self.hasEnded(identity.pid, paths: launch.paths) {
            // Never leave a VMM behind that vmctl does not record.
            kill(identity.pid, SIGKILL)
            _ = VMProcess.waitForExit(pid: identity.pid, startTime: identity.startTime, paths: launch.paths, timeout: .seconds(5))
            throw RuntimeError.vm(name: launch.name, operation: "start", reason: "vmctl-vmm did not come up on its control socket within 10 s (ended it): \(VMProcess.lastLines(of: launch.paths.vmmLog))")
        }
        throw RuntimeError.vm(name: launch.name, operation: "start", reason: Self.exitReason(paths: launch.paths) ?? "vmctl-vmm ended: \(VMProcess.lastLines(of: launch.paths.vmmLog))")
    }

    /// Whether the VMM just launched as `pid` has ended: its wrapper recorded an exit status, or the pid is gone.
    /// Not judged by its command line, which reads empty for an instant while it execs (`env python3` execs twice).
    static func hasEnded(_ pid: Int32, paths: VMPaths) -> Bool {
        FileManager.default.fileExists(atPath: paths.exit) || (kill(pid, 0) != 0 && errno == ESRCH) || ProcessProbe.isZombie(pid)
    }

    public func stop(_ record: VMRecord, paths: VMPaths, timeout: Duration) throws -> StopOutcome {
        guard let (pid, startTime) = VMProcess.currentPid(record, paths: paths),
              VMProcess.isOurs(pid: pid, startTime: startTime, paths: paths) else { return .alreadyStopped }
        return try stopProcess(name: record.name, pid: pid, startTime: startTime, paths: paths, timeout: timeout)
    }

    public func stopProcess(name: String, pid: Int32, startTime: UInt64?, paths: VMPaths, timeout: Duration) throws -> StopOutcome {
        // Graceful: the ACPI power button (the default guest's acpid powers off); vmctl-vmm then exits 0.
        let asked = (try? ControlClient(path: paths.controlSocket, timeout: .seconds(2)).shutdown(.acpi)) != nil
        if Self.waitForEnd(pid: pid, startTime: startTime, paths: paths, timeout: asked ? timeout : .seconds(1)) { return .graceful }
        // Then power-off through the socket (exit 3), then SIGKILL.
        if (try? ControlClient(path: paths.controlSocket, timeout: .seconds(2)).powerOff()) != nil,
           Self.waitForEnd(pid: pid, startTime: startTime, paths: paths, timeout: .seconds(5)) { return .forced }
        kill(pid, SIGKILL)
        guard Self.waitForEnd(pid: pid, startTime: startTime, paths: paths, timeout: .seconds(5)) else {
            throw RuntimeError.vm(name: name, operation: "stop", reason: "process \(pid) did not exit after SIGKILL")
        }
        return .forced
    }

    /// Waits until the VMM has ended and its wrapper has recorded how (so the next inspect reads the exit code,
    /// not a wrapper caught in between); true if the VMM ended within `timeout`.
    static func waitForEnd(pid: Int32, startTime: UInt64?, paths: VMPaths, timeout: Duration) -> Bool {
        guard VMProcess.waitForExit(pid: pid, startTime: startTime, paths: paths, timeout: timeout) else { return false }
        let deadline = ContinuousClock.now + .seconds(1)
        while !FileManager.default.fileExists(atPath: paths.exit), ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.005) }
        return true
    }

    public func reset(_ record: VMRecord, paths: VMPaths) throws {
        try control(record, paths, operation: "reset") { try $0.reset() }
    }

    public func pause(_ record: VMRecord, paths: VMPaths) throws {
        try control(record, paths, operation: "pause") { try $0.pause() }
    }

    public func resume(_ record: VMRecord, paths: VMPaths) throws {
        try control(record, paths, operation: "resume") { try $0.resume() }
    }

    private func control(_ record: VMRecord, _ paths: VMPaths, operation: String,
                         _ body: (ControlClient) throws -> Void) throws {
        guard let (pid, startTime) = VMProcess.currentPid(record, paths: paths),
              VMProcess.isOurs(pid: pid, startTime: startTime, paths: paths) else {
            throw RuntimeError.vm(name: record.name, operation: operation, reason: "the VM is not running")
        }
        do { try body(try ControlClient(path: paths.controlSocket)) } catch {
            throw RuntimeError.vm(name: record.name, operation: operation, reason: "\(error)")
        }
    }

    public func inspect(_ record: VMRecord, paths: VMPaths) -> VMProcessStatus {
        guard let (pid, startTime) = VMProcess.currentPid(record, paths: paths) else {
            return VMProcessStatus(state: .stopped)
        }
        guard VMProcess.isOurs(pid: pid, startTime: startTime, paths: paths) else { return Self.endedState(paths: paths) }
        var status = VMProcessStatus(state: .running, pid: pid, residentBytes: ProcessProbe.residentBytes(of: pid))
        // `stopping` (shutting down) still holds the VM's resources: it stays running until the process ends.
        if let description = try? ControlClient(path: paths.controlSocket, timeout: .milliseconds(500)).describe(),
           description.state == .paused {
            status.state = .paused
        }
        if status.state == .running, !FileManager.default.fileExists(atPath: paths.ready) { status.state = .starting }
        return status
    }

    /// The state of a VM whose vmctl-vmm ended, from the exit status its wrapper recorded (VMMExitCode): the
    /// guest's power-off (0) and `power-off` (3) are stops; a guest crash (2), a VMM error (1, with vmm.log's
    /// message) and a signal are crashes.
    static func endedState(paths: VMPaths) -> VMProcessStatus {
        guard let code = exitStatus(paths: paths) else { return VMProcess.endedState(paths: paths, launched: true) }
        var status = VMProcessStatus(state: .crashed, exitStatus: code, exitReason: exitReason(paths: paths))
        switch VMMExitCode(rawValue: Int32(clamping: code)) {
        case .guestPowerOff?, .poweredOff?:
            status.state = .stopped
            status.exitStatus = nil
        case .guestCrash?, .vmmError?: break
        case nil where code > 128:
            status.signal = code - 128
        case nil: break
        }
        return status
    }

    static func exitStatus(paths: VMPaths) -> Int? {
        guard let text = try? String(contentsOfFile: paths.exit, encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Why vmctl-vmm ended, in words; for a VMM error, with the last lines it wrote to vmm.log.
    static func exitReason(paths: VMPaths) -> String? {
        // The wrapper writes `exit` just after the VMM ends.
        var code = exitStatus(paths: paths)
        let deadline = ContinuousClock.now + .milliseconds(500)
        while code == nil, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.01)
            code = exitStatus(paths: paths)
        }
        guard let code else { return nil }
        let phrase = "vmctl-vmm exited with status \(code): \(VMMExitCode.explain(status: Int32(clamping: code)))"
        guard code == Int(VMMExitCode.vmmError.rawValue) else { return phrase }
        return phrase + ": " + VMProcess.lastLines(of: paths.vmmLog, count: 3)
    }

    public func destroy(_ record: VMRecord, paths: VMPaths) throws {
        try VMProcess.destroy(record, paths: paths)
    }
}

/// Whether a vmctl-vmm can boot guests, and why (or why not), for backend choice and `vmctl status`.
public struct KVMBootSupport: Sendable, Equatable {
    public var canBoot: Bool
    public var reason: String

    public init(canBoot: Bool, reason: String) {
        self.canBoot = canBoot
        self.reason = reason
    }
}

/// A value computed once, on first use, by whichever thread asks first.
final class Once<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value?
    private let make: @Sendable () -> Value

    init(_ make: @escaping @Sendable () -> Value) { self.make = make }

    var value: Value {
        lock.lock()
        defer { lock.unlock() }
        if let stored { return stored }
        let value = make()
        stored = value
        return value
    }
}
