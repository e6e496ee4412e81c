import Glibc
import KVM
import VMMControl

/// vmctl-vmm confines itself with its seccomp allow-list (docs/vmm.md, "Seccomp") once the machine is built and
/// the control socket bound, before the vCPUs run. Two environment switches, which vmctl never sets and a manifest
/// cannot reach (the VMM's environment is the runtime's, not the launch spec's):
/// - `VMCTL_VMM_SECCOMP=off` runs without the filter (for debugging and the benchmark's A/B); `=log` lets calls off
///   the list through and has the kernel log them (dmesg, audit), to find what a change needs.
/// - `VMCTL_VMM_TEST_SECCOMP_VIOLATION=1` makes a forbidden call (open) on a new thread right after confining,
///   for the test that proves a violation kills the whole process with SIGSYS.
enum Seccomp {
    /// Whether violations kill (`--capabilities` reports `seccomp: true` only then).
    static var enabled: Bool { setting == nil }

    private static var setting: String? { environment("VMCTL_VMM_SECCOMP").flatMap { ["off", "log"].contains($0) ? $0 : nil } }

    static func confine() throws(KVMError) {
        guard setting != "off" else { return }
        ProcessMemory.prepare()   // `stats` reads /proc/self/statm through a descriptor opened now
        try SeccompFilter.install(violation: setting == "log" ? .log : .kill)
        if environment("VMCTL_VMM_TEST_SECCOMP_VIOLATION") == "1" { violate() }
    }

    private static func violate() {
        _ = try? ThreadLauncher.start("start the seccomp violation thread", joinable: false) {
            let fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC)
            // Reached only without a working filter; the test then sees the VM go on instead of SIGSYS.
            let note = Array("vmctl-vmm: seccomp violation test: open returned \(fd), the filter did not stop it\n".utf8)
            _ = note.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }
    }

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
