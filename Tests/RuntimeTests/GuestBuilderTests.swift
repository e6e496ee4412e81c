import Foundation
import Testing
import VMCtlModel
@testable import Runtime

@Suite("GuestBuilder: the default guest's initramfs and its cache")
struct GuestBuilderTests {
    static let canBuild = GuestTestSupport.hasStaticBusybox
    static let cpio = GuestTestSupport.tool("cpio")

    // Uses fake kernels and modules but the host's real busybox-static (skipped without it): building runs it.
    @Test("a second build with the same inputs reuses the cache entry; a changed module makes a new one", .enabled(if: canBuild, "needs busybox-static (scripts/setup installs it)"))
    func cache() throws {
        let (root, host) = try GuestTestSupport.fakeHost(kernels: ["6.1.0-1-cloud-amd64"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cache = root + "/state/guest"
        #expect(try GuestBuilder.info(cacheDirectory: cache, host: host) == nil)

        let first = try GuestBuilder.build(cacheDirectory: cache, host: host, now: Date(timeIntervalSince1970: 1_000))
        #expect(!first.reused)
        #expect(first.guest.initrd == "\(cache)/\(first.guest.hash)/initrd.img")
        #expect(first.guest.hash.count == 64)
        #expect(first.guest.readinessMarker == "vmctl-guest ready")
        #expect(first.guest.kernel == root + "/boot/vmlinuz-6.1.0-1-cloud-amd64")
        #expect(first.guest.kernelVersion == "6.1.0-1-cloud-amd64")
        let attributes = try FileManager.default.attributesOfItem(atPath: first.guest.initrd)
        #expect((attributes[.size] as? Int) == first.guest.size)
        #expect(FileManager.default.fileExists(atPath: "\(cache)/\(first.guest.hash)/guest.json"))

        let second = try GuestBuilder.build(cacheDirectory: cache, host: host, now: Date(timeIntervalSince1970: 2_000))
        #expect(second.reused)
        #expect(second.guest == first.guest)
        #expect(try GuestBuilder.info(cacheDirectory: cache, host: host) == first.guest)
        let again = try FileManager.default.attributesOfItem(atPath: first.guest.initrd)
        #expect((again[.modificationDate] as? Date) == (attributes[.modificationDate] as? Date))

        try GuestTestSupport.write("patched\n", to: root + "/usr/lib/modules/6.1.0-1-cloud-amd64/kernel/drivers/block/virtio_blk.ko")
        let third = try GuestBuilder.build(cacheDirectory: cache, host: host)
        #expect(!third.reused)
        #expect(third.guest.hash != first.guest.hash)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache).sorted() == [first.guest.hash, third.guest.hash].sorted())
    }

    @Test("a damaged cache entry is rebuilt, not trusted", .enabled(if: canBuild, "needs busybox-static (scripts/setup installs it)"))
    func damaged() throws {
        let (root, host) = try GuestTestSupport.fakeHost(kernels: ["6.1.0-1-cloud-amd64"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cache = root + "/guest"
        let first = try GuestBuilder.build(cacheDirectory: cache, host: host)
        try Data("short".utf8).write(to: URL(fileURLWithPath: first.guest.initrd))
        #expect(try GuestBuilder.info(cacheDirectory: cache, host: host) == nil)
        let second = try GuestBuilder.build(cacheDirectory: cache, host: host)
        #expect(!second.reused)
        #expect(second.guest.hash == first.guest.hash)
        #expect(try GuestBuilder.info(cacheDirectory: cache, host: host) == second.guest)
    }

    @Test("the initramfs holds init, busybox and its links, the modules in load order and the device nodes",
          .enabled(if: canBuild && cpio != nil, "needs busybox-static and the cpio tool (scripts/setup installs both)"))
    func contents() throws {
        let (root, host) = try GuestTestSupport.fakeHost(kernels: ["6.1.0-1-cloud-amd64"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let guest = try GuestBuilder.build(cacheDirectory: root + "/guest", host: host).guest
        let tool = try #require(Self.cpio)
        let listing = try GuestTestSupport.run(tool, ["-itv"], stdinFile: guest.initrd)
        #expect(listing.status == 0, "\(listing.stderr)")
        let lines = listing.stdout.split(separator: "\n").map(String.init)
        for (prefix, suffix) in [("-rwxr-xr-x", " init"), ("-rwxr-xr-x", " bin/busybox"), ("lrwxrwxrwx", " bin/sh -> busybox"),
                                 ("lrwxrwxrwx", " sbin -> bin"), ("crw-------", " dev/console"), ("crw-rw-rw-", " dev/null"),
                                 ("-rwxr-xr-x", " etc/acpi/PWRF/00000080"), ("-rw-r--r--", " etc/inittab"),
                                 ("-rw-r--r--", " lib/modules/6.1.0-1-cloud-amd64/kernel/drivers/net/virtio_net.ko")] {
            #expect(lines.contains { $0.hasPrefix(prefix) && $0.hasSuffix(suffix) }, "no \(prefix) …\(suffix)")
        }

        let out = root + "/extracted"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try GuestTestSupport.run(tool, ["-id", "--no-absolute-filenames"], in: out, stdinFile: guest.initrd)
        let order = try String(contentsOfFile: out + "/etc/vmctl/modules", encoding: .utf8)
        #expect(order.split(separator: "\n").map(String.init) == guest.modules)
        #expect(guest.modules.first == "kernel/drivers/virtio/virtio_ring.ko")
        let initScript = try String(contentsOfFile: out + "/init", encoding: .utf8)
        #expect(initScript.contains("insmod \"/lib/modules/6.1.0-1-cloud-amd64/$module\""))
        #expect(initScript.contains("echo \"vmctl-guest ready\""))
        // busybox sh parses the scripts (syntax only; running them needs a guest).
        for script in ["init", "etc/vmctl/shutdown", "etc/acpi/PWRF/00000080"] {
            let check = try GuestTestSupport.run(GuestTestSupport.busybox, ["sh", "-n", out + "/" + script])
            #expect(check.status == 0, "\(script): \(check.stderr)")
        }
    }

    @Test("a dynamically linked busybox is refused, naming busybox-static", .enabled(if: FileManager.default.fileExists(atPath: "/bin/ls")))
    func dynamicBusybox() throws {
        let (root, host) = try GuestTestSupport.fakeHost(kernels: ["6.1.0-1-cloud-amd64"], busybox: "/bin/ls")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let error = #expect(throws: GuestError.self) { try GuestBuilder.build(cacheDirectory: root + "/guest", host: host) }
        guard case .dynamicBusybox(let path, _) = error else {
            Issue.record("expected dynamicBusybox, got \(String(describing: error))")
            return
        }
        #expect(path == "/bin/ls")
        #expect(error?.description.contains("apt-get install busybox-static") == true)
    }

    @Test("no busybox: the error names busybox-static")
    func noBusybox() throws {
        let (root, host) = try GuestTestSupport.fakeHost(kernels: ["6.1.0-1-cloud-amd64"], busybox: "/nonexistent/busybox")
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(throws: GuestError.noBusybox(path: "/nonexistent/busybox")) {
            try GuestBuilder.build(cacheDirectory: root + "/guest", host: host)
        }
        #expect(GuestError.noBusybox(path: "/x").description.contains("apt-get install busybox-static"))
    }

    static let guest = DefaultGuest(
        kernel: "/boot/vmlinuz", kernelVersion: "6.1.0-1-cloud-amd64", initrd: "/s/guest/h/initrd.img", hash: "h", size: 1,
        readinessMarker: "vmctl-guest ready", baseCmdline: "console=ttyS0 panic=-1 quiet", modules: [], unavailableModules: [],
        busybox: "/bin/busybox", builtAt: Date(timeIntervalSince1970: 0))

    @Test("the cmdline carries hostname, one vmctl.net per NIC and one vmctl.mount per volume")
    func cmdline() throws {
        let nics = [GuestNIC(interface: "eth0", address: try #require(IPv4Address("10.0.0.5")), prefixLength: 24,
                             gateway: IPv4Address("10.0.0.1")),
                    GuestNIC(interface: "eth1", address: try #require(IPv4Address("192.168.7.2")), prefixLength: 30)]
        let mounts = [GuestMount(device: "/dev/vdb", mountPoint: "/data"), GuestMount(device: "/dev/vdc", mountPoint: "/srv/ro", readOnly: true)]
        #expect(try Self.guest.cmdline(hostname: "web-0", nics: nics, mounts: mounts) ==
            "console=ttyS0 panic=-1 quiet vmctl.hostname=web-0 vmctl.net=eth0,10.0.0.5/24,10.0.0.1 vmctl.net=eth1,192.168.7.2/30 "
            + "vmctl.mount=/dev/vdb:/data vmctl.mount=/dev/vdc:/srv/ro:ro")
        #expect(try Self.guest.cmdline(hostname: "db") == "console=ttyS0 panic=-1 quiet vmctl.hostname=db")
    }

    @Test("values that would break the cmdline or the guest's parsing are refused", arguments: [
        ("a b", "/data"), ("web", "/da ta"), ("web", "/data:ro"), ("web", "data"), ("", "/data"),
    ])
    func unsafeValues(_ hostname: String, _ mountPoint: String) {
        #expect(throws: GuestError.self) {
            try Self.guest.cmdline(hostname: hostname, mounts: [GuestMount(device: "/dev/vdb", mountPoint: mountPoint)])
        }
    }
}
