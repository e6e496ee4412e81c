import Foundation
@testable import Runtime

/// Temporary folders and host facts shared by the guest tests.
enum GuestTestSupport {
    static func temporaryFolder(_ label: String) throws -> String {
        let path = NSTemporaryDirectory() + "vmctl-\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// The first of `candidates` that is an executable file, e.g. a system tool the test needs.
    static func tool(_ name: String) -> String? {
        ["/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/", "/usr/local/bin/"].map { $0 + name }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a program to completion, stdin read from a file; returns its status, stdout and stderr.
    /// stderr goes through a file so a chatty program cannot block on a full pipe while we read stdout.
    @discardableResult
    static func run(_ program: String, _ arguments: [String], in directory: String? = nil, stdinFile: String? = nil) throws
        -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let errPath = NSTemporaryDirectory() + "vmctl-stderr-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: errPath)
        process.standardInput = stdinFile.flatMap { FileHandle(forReadingAtPath: $0) } ?? FileHandle.nullDevice
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errData = FileManager.default.contents(atPath: errPath) ?? Data()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    /// A fake host: a boot folder with the named kernels (a few bytes each), a modules folder per version
    /// with the given modules.dep lines (and a tiny .ko file for each module), and the real static busybox.
    static func fakeHost(kernels: [String], depLines: [String] = cloudDepLines, builtin: [String] = [],
                         busybox: String = busybox) throws -> (root: String, host: GuestHost) {
        let root = try temporaryFolder("host")
        for version in kernels {
            try write("kernel \(version)\n", to: "\(root)/boot/vmlinuz-\(version)")
            let folder = "\(root)/usr/lib/modules/\(version)"
            try write(depLines.joined(separator: "\n") + "\n", to: folder + "/modules.dep")
            try write(builtin.joined(separator: "\n") + "\n", to: folder + "/modules.builtin")
            for line in depLines {
                guard let module = line.split(separator: ":").first else { continue }
                try write("module \(module)\n", to: "\(folder)/\(module)")
            }
        }
        return (root, GuestHost(bootDirectory: root + "/boot", moduleDirectories: [root + "/lib/modules", root + "/usr/lib/modules"],
                                busybox: busybox))
    }

    /// modules.dep lines covering every module the default guest wants, shaped like Debian 12's cloud kernel.
    static let cloudDepLines = [
        "kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko",
        "kernel/drivers/virtio/virtio_ring.ko:",
        "kernel/drivers/virtio/virtio_pci_modern_dev.ko:",
        "kernel/drivers/virtio/virtio_pci_legacy_dev.ko:",
        "kernel/drivers/virtio/virtio_mmio.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko",
        "kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko",
        "kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko",
        "kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko",
        "kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko",
        "kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko",
        "kernel/net/core/failover.ko:",
        "kernel/drivers/acpi/button.ko:",
        "kernel/drivers/input/evdev.ko:",
        "kernel/fs/xfs/xfs.ko: kernel/lib/libcrc32c.ko",
        "kernel/lib/libcrc32c.ko:",
    ]

    static let busybox = "/bin/busybox"

    /// True when /bin/busybox exists and is the static build the guest needs.
    static var hasStaticBusybox: Bool {
        guard let data = FileManager.default.contents(atPath: busybox) else { return false }
        return ELFCheck.inspect(data) == .staticExecutable
    }
}
