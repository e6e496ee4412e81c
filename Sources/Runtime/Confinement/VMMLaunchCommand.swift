import Foundation
import VMMControl

/// vmctl-vmm started confined: vmctl-launch opens the spec, kernel, initrd, console log, disks, sockets and NICs as
/// root and passes them as descriptors 3, 4, …; the spec's `descriptors` says which is which, so the VMM opens no path
/// (it sees none: its root is the launcher's empty jail). The spec's path stays on its command line (`--spec-fd 3
/// PATH`), so the VM's processes are still found by their folder.
struct VMMLaunchCommand {
    /// The launcher's argv, the VMM's after `--`.
    let arguments: [String]
    /// The spec to write, with its descriptors.
    let spec: LaunchSpec

    init(launcher: String, binary: String, uid: UInt32, spec unconfined: LaunchSpec, specPath: String,
         environment: [String: String] = ProcessInfo.processInfo.environment) {
        var options: [String] = []
        var next: Int32 = 3
        func open(_ option: String, _ what: String) -> Int32 {
            defer { next += 1 }
            options += [option, "\(next):\(what)"]
            return next
        }
        let specFD = open("--file", "r:" + specPath)
        var spec = unconfined
        let kernel = open("--file", "r:" + spec.kernel)
        let initrd = spec.initrd.map { open("--file", "r:" + $0) }
        let consoleLog = open("--file", "a:" + spec.consoleLog)
        let control = open("--listen", spec.controlSocket)
        let console = spec.consoleSocket.map { open("--listen", $0) }
        let agent = spec.agentSocket.map { open("--listen", $0) }
        let disks = spec.disks.map { open("--file", ($0.readOnly ? "r:" : "w:") + $0.path) }
        let nets = spec.nets.map { net in
            if let tap = net.tap { return open("--raw-tap", tap) }
            return open("--connect", net.switchSocket ?? "")
        }
        spec.descriptors = LaunchSpec.Descriptors(kernel: kernel, initrd: initrd, consoleLog: consoleLog, controlSocket: control,
                                                  consoleSocket: console, agentSocket: agent, disks: disks, nets: nets)
        self.spec = spec
        // Threads: one per vCPU, the control server's, the console's and agent's, a reader per NIC, and room for connections.
        var launcherArgs = [launcher, "--uid", "\(uid)", "--gid", "\(uid)", "--nofile", "256", "--nproc", "\(64 + spec.vcpus)",
                            "--dev", "kvm"]
        if let runtime = Self.swiftRuntimeFolder() { launcherArgs += ["--ro", runtime] }
        // vmctl-vmm's own switches (VMCTL_VMM_SECCOMP, …) cross the launcher's empty environment, nothing else.
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix("VMCTL_VMM_") {
            launcherArgs += ["--env", "\(name)=\(value)"]
        }
        arguments = launcherArgs + options + ["--", binary, "--spec-fd", "\(specFD)", specPath]
    }

    /// The folder of the Swift runtime this process loaded, when vmctl is linked against it dynamically (a debug or
    /// test build): vmctl-vmm, built alongside, needs the same one, which the jail does not hold otherwise. Nil for a
    /// static build (`--static-swift-stdlib`) or a runtime under /usr, which the jail has.
    static func swiftRuntimeFolder(maps: String? = readMaps()) -> String? {
        guard let maps else { return nil }
        for line in maps.split(separator: "\n") {
            guard let start = line.firstIndex(of: "/") else { continue }
            let path = String(line[start...])
            guard path.hasSuffix("/libswiftCore.so") else { continue }
            let folder = (path as NSString).deletingLastPathComponent
            for taken in ["/usr", "/lib", "/lib64"] where folder == taken || folder.hasPrefix(taken + "/") { return nil }
            return folder
        }
        return nil
    }

    /// /proc/self/maps read to its end (its size reads as 0, so read it as a stream).
    static func readMaps() -> String? {
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/maps") else { return nil }
        defer { try? handle.close() }
        return (try? handle.readToEnd()).map { String(decoding: $0, as: UTF8.self) }
    }
}
