/// How QEMU reaches its files and sockets: by path when it runs as vmctl's user; when confined, by descriptors that
/// vmctl-launch opens as root (QEMU's uid can open nothing in the VM's root-owned folder, nor bind a socket there).
/// Each descriptor's path stays on QEMU's command line (`opaque=` of its fdset), so the VM's processes are still found
/// by their folder.
struct QEMUResources {
    let confined: Bool
    /// vmctl-launch's options that open them, in order.
    private(set) var launcherOptions: [String] = []
    /// QEMU's `-add-fd` options: each fdset holds one descriptor per access mode QEMU may open the file with.
    private(set) var fdsets: [String] = []
    private var nextFD = 3
    private var nextSet = 1

    init(confined: Bool) { self.confined = confined }

    /// A disk or firmware image: QEMU opens a fdset like a path, read-only first even for a writable disk (probing), so
    /// a writable one gets a read-write and a read-only descriptor.
    mutating func image(_ path: String, writable: Bool) -> String {
        guard confined else { return path }
        return fdset(path, modes: writable ? ["w", "r"] : ["r"])
    }

    /// An append-only log (the console's).
    mutating func log(_ path: String) -> String {
        confined ? fdset(path, modes: ["a"]) : path
    }

    /// The kernel or initrd: QEMU opens these by path only; /proc/self/fd/N reopens the descriptor.
    mutating func bootFile(_ path: String) -> String {
        guard confined else { return path }
        return "/proc/self/fd/\(descriptor("--file", "k:" + path))"
    }

    /// A listening unix socket for a chardev (QMP, console, agent): `path=` or the pre-bound socket's `fd=`.
    mutating func listener(_ path: String) -> String {
        confined ? "fd=\(descriptor("--listen", path))" : "path=\(path)"
    }

    /// A connection to an isolated network's switch, for `-netdev stream`.
    mutating func switchAddress(_ socket: String) -> String {
        confined ? "addr.type=fd,addr.str=\(descriptor("--connect", socket))" : "addr.type=unix,addr.path=\(socket)"
    }

    /// A bridge or nat tap: opened by name (needs CAP_NET_ADMIN), or attached by vmctl-launch and passed.
    mutating func tap(_ name: String) -> String {
        confined ? "fd=\(descriptor("--tap", name))" : "ifname=\(name),script=no,downscript=no"
    }

    private mutating func descriptor(_ option: String, _ what: String) -> Int {
        defer { nextFD += 1 }
        launcherOptions += [option, "\(nextFD):\(what)"]
        return nextFD
    }

    private mutating func fdset(_ path: String, modes: [String]) -> String {
        defer { nextSet += 1 }
        for mode in modes {
            let fd = descriptor("--file", "\(mode):\(path)")
            fdsets += ["-add-fd", "fd=\(fd),set=\(nextSet),opaque=\(path)"]
        }
        return "/dev/fdset/\(nextSet)"
    }
}
