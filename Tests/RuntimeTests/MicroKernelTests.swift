import Foundation
@testable import Runtime
import Testing

/// The micro kernel's recipe and cache, without compiling a kernel (MicroKernelBuildTests builds one where the source
/// is installed; .ci/run builds it once per machine).
@Suite("Micro kernel: configuration fragment, cache key and entries")
struct MicroKernelTests {
    @Test("the fragment turns =n into Kconfig's 'is not set' and finds options a .config did not take")
    func fragment() {
        #expect(MicroKernelConfig.allconfig.contains("# CONFIG_MODULES is not set\n"))
        #expect(MicroKernelConfig.allconfig.contains("CONFIG_VIRTIO_BLK=y\n"))
        #expect(!MicroKernelConfig.allconfig.contains("=n\n"))
        let all = MicroKernelConfig.fragment.split(separator: "\n").filter { !$0.hasSuffix("=n") }.joined(separator: "\n")
        #expect(MicroKernelConfig.unmet(by: all).isEmpty)
        let lacking = all.replacingOccurrences(of: "CONFIG_VIRTIO_NET=y", with: "# CONFIG_VIRTIO_NET is not set")
        #expect(MicroKernelConfig.unmet(by: lacking) == ["CONFIG_VIRTIO_NET=y"])
        #expect(MicroKernelConfig.unmet(by: all + "\nCONFIG_MODULES=y") == ["CONFIG_MODULES=n"])
        // What the default guest relies on is in it: no modules to load, its drivers built in.
        for option in ["CONFIG_VIRTIO_MMIO=y", "CONFIG_VIRTIO_PCI=y", "CONFIG_VIRTIO_CONSOLE=y", "CONFIG_SERIAL_8250_CONSOLE=y",
                       "CONFIG_ACPI_BUTTON=y", "CONFIG_INPUT_EVDEV=y", "CONFIG_EXT4_FS=y", "CONFIG_UNIX98_PTYS=y", "CONFIG_DEVTMPFS=y"] {
            #expect(MicroKernelConfig.fragment.contains(option + "\n"), "\(option)")
        }
    }

    @Test("the key follows the fragment and the source tarball; built() takes only a whole entry of this key")
    func cache() throws {
        let folder = try GuestTestSupport.temporaryFolder("micro")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tarball = folder + "/linux-source-6.1.tar.xz"
        let kernel = MicroKernel(cacheDirectory: folder + "/cache", tarball: tarball)
        #expect(kernel.key() == nil && kernel.built() == nil)
        #expect(throws: MicroKernel.BuildError.self) { try kernel.build() }
        try Data("source v1".utf8).write(to: URL(fileURLWithPath: tarball))
        let key = try #require(kernel.key())
        #expect(kernel.key() == key && kernel.built() == nil)

        // A whole entry: build.json with this key and a bzImage of its recorded size.
        let entry = kernel.folder(key: key)
        try FileManager.default.createDirectory(atPath: entry, withIntermediateDirectories: true)
        try Data(repeating: 7, count: 100).write(to: URL(fileURLWithPath: entry + "/bzImage"))
        let record = MicroKernel.Built(release: "6.1.1-vmctl-micro", key: key, buildSeconds: 1, bytes: 100, builtAt: Date(timeIntervalSince1970: 0))
        try MicroKernel.encoder.encode(record).write(to: URL(fileURLWithPath: entry + "/build.json"))
        #expect(kernel.built()?.path == entry + "/bzImage" && kernel.built()?.release == "6.1.1-vmctl-micro")
        #expect(try kernel.build().reused)

        // A truncated bzImage is not trusted.
        try Data(repeating: 7, count: 10).write(to: URL(fileURLWithPath: entry + "/bzImage"))
        #expect(kernel.built() == nil)
        // A new source package (other size or time) is another key: the old entry is not it.
        try Data(repeating: 7, count: 100).write(to: URL(fileURLWithPath: entry + "/bzImage"))
        try Data("source v2, longer".utf8).write(to: URL(fileURLWithPath: tarball))
        #expect(kernel.key() != key && kernel.built() == nil)
    }

    @Test("the default guest takes the micro kernel when it is built: no modules in its initramfs, kind micro")
    func defaultGuestPrefersMicro() throws {
        let folder = try GuestTestSupport.temporaryFolder("micro-guest")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tarball = folder + "/src.tar.xz"
        try Data("source".utf8).write(to: URL(fileURLWithPath: tarball))
        let micro = MicroKernel(cacheDirectory: folder + "/kernels", tarball: tarball)
        let key = try #require(micro.key())
        let entry = micro.folder(key: key)
        try FileManager.default.createDirectory(atPath: entry, withIntermediateDirectories: true)
        try Data(repeating: 1, count: 64).write(to: URL(fileURLWithPath: entry + "/bzImage"))
        try MicroKernel.encoder.encode(MicroKernel.Built(release: "6.1.9-vmctl-micro", key: key, buildSeconds: 1, bytes: 64,
                                                         builtAt: Date(timeIntervalSince1970: 0)))
            .write(to: URL(fileURLWithPath: entry + "/build.json"))
        // No /boot kernel and no modules folder at all: the micro kernel needs neither.
        let host = GuestHost(bootDirectory: folder + "/boot", moduleDirectories: [folder + "/modules"], busybox: "/bin/busybox",
                             microKernel: micro)
        try #require(FileManager.default.isExecutableFile(atPath: "/bin/busybox"), "busybox-static (scripts/setup installs it)")
        let guest = try GuestBuilder.build(cacheDirectory: folder + "/guest", host: host).guest
        #expect(guest.kernel == entry + "/bzImage" && guest.kernelVersion == "6.1.9-vmctl-micro" && guest.kernelKind == .micro)
        #expect(guest.modules.isEmpty && guest.unavailableModules.isEmpty)
        // Without it, the same host has no kernel: the error names /boot as before.
        #expect(throws: GuestError.noKernel(bootDirectory: folder + "/boot")) {
            try GuestBuilder.build(cacheDirectory: folder + "/guest", host: GuestHost(bootDirectory: folder + "/boot", busybox: "/bin/busybox"))
        }
    }
}
