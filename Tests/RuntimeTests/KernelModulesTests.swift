import Foundation
import Testing
@testable import Runtime

@Suite("Kernel modules: dependency order from modules.dep")
struct KernelModulesTests {
    func modules(_ lines: [String], builtin: [String] = []) throws -> (KernelModules, String) {
        let (root, _) = try GuestTestSupport.fakeHost(kernels: ["6.1.0-1-cloud-amd64"], depLines: lines, builtin: builtin)
        return (try KernelModules(folder: root + "/usr/lib/modules/6.1.0-1-cloud-amd64"), root)
    }

    @Test("every module comes after the modules it needs, each once")
    func order() throws {
        let (modules, root) = try modules(GuestTestSupport.cloudDepLines)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let plan = try modules.loadPlan(required: GuestBuilder.requiredModules, optional: ["button", "evdev"])
        let names = plan.order.map(KernelModules.name(of:))
        #expect(names == ["virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci", "virtio_mmio",
                          "virtio_blk", "failover", "net_failover", "virtio_net", "virtio_console", "button", "evdev"])
        #expect(Set(names).count == names.count)
        #expect(!names.contains("xfs"))
    }

    @Test("dashes and underscores name the same module; compression suffixes are ignored")
    func names() {
        #expect(KernelModules.name(of: "kernel/drivers/char/hw_random/virtio-rng.ko") == "virtio_rng")
        #expect(KernelModules.name(of: "kernel/drivers/net/virtio_net.ko.xz") == "virtio_net")
        #expect(KernelModules.name(of: "evdev") == "evdev")
    }

    @Test("built-in modules need no file; a missing optional one is reported, a missing required one is an error")
    func builtinAndMissing() throws {
        let lines = GuestTestSupport.cloudDepLines.filter { !$0.hasPrefix("kernel/drivers/acpi/button.ko") && !$0.hasPrefix("kernel/drivers/input/evdev.ko") }
        let (modules, root) = try modules(lines, builtin: ["kernel/drivers/input/evdev.ko"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let plan = try modules.loadPlan(required: ["virtio_blk"], optional: ["button", "evdev"])
        #expect(plan.builtIn == ["evdev"])
        #expect(plan.unavailable == ["button"])
        #expect(throws: GuestError.missingModule(name: "virtio_9p", kernelVersion: "6.1.0-1-cloud-amd64",
                                                 folder: root + "/usr/lib/modules/6.1.0-1-cloud-amd64")) {
            try modules.loadPlan(required: ["virtio_9p"], optional: [])
        }
    }

    @Test("compressed modules are refused with a message naming the file")
    func compressed() throws {
        let (modules, root) = try modules(["kernel/drivers/block/virtio_blk.ko.xz:"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(throws: GuestError.compressedModule(path: root + "/usr/lib/modules/6.1.0-1-cloud-amd64/kernel/drivers/block/virtio_blk.ko.xz")) {
            try modules.loadPlan(required: ["virtio_blk"], optional: [])
        }
    }
}

@Suite("GuestHost: finding the kernel")
struct GuestHostTests {
    @Test("the newest cloud kernel wins over newer non-cloud kernels; versions compare by number")
    func newestCloud() throws {
        let (root, host) = try GuestTestSupport.fakeHost(kernels: ["6.1.0-9-cloud-amd64", "6.1.0-56-cloud-amd64", "6.12.0-1-amd64"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let kernel = try host.findKernel()
        #expect(kernel.version == "6.1.0-56-cloud-amd64")
        #expect(kernel.path == host.bootDirectory + "/vmlinuz-6.1.0-56-cloud-amd64")
        #expect(kernel.moduleFolder == root + "/usr/lib/modules/6.1.0-56-cloud-amd64")
        #expect(host.newestKernelVersion(cloudOnly: true) == kernel.version)
    }

    @Test("cloudOnly (the tests' Debian cloud kernel, HostTools.debianCloudKernel) never settles for another kernel")
    func cloudOnly() throws {
        let (root, host) = try GuestTestSupport.fakeHost(kernels: ["6.1.0-57-amd64", "6.1.0-56-cloud-amd64", "6.1.0-9-cloud-amd64"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(host.newestKernelVersion(cloudOnly: true) == "6.1.0-56-cloud-amd64")
        #expect(host.kernelPath(version: "6.1.0-56-cloud-amd64") == host.bootDirectory + "/vmlinuz-6.1.0-56-cloud-amd64")
        let (other, plain) = try GuestTestSupport.fakeHost(kernels: ["6.1.0-57-amd64"])
        defer { try? FileManager.default.removeItem(atPath: other) }
        #expect(plain.newestKernelVersion(cloudOnly: true) == nil)
        #expect(plain.newestKernelVersion() == "6.1.0-57-amd64")
    }

    @Test("without a cloud kernel, the newest of any kernel")
    func anyKernel() throws {
        let (root, host) = try GuestTestSupport.fakeHost(kernels: ["5.10.0-30-amd64", "6.1.0-2-amd64"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try host.findKernel().version == "6.1.0-2-amd64")
    }

    @Test("no kernel: the error names the package to install")
    func noKernel() throws {
        let root = try GuestTestSupport.temporaryFolder("nokernel")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let host = GuestHost(bootDirectory: root, moduleDirectories: [root], busybox: root + "/busybox")
        #expect(throws: GuestError.noKernel(bootDirectory: root)) { try host.findKernel() }
        #expect(GuestError.noKernel(bootDirectory: root).description.contains("apt-get install linux-image-cloud-amd64"))
    }

    @Test("a kernel without its modules folder is an error naming where vmctl looked")
    func noModules() throws {
        let (root, host) = try GuestTestSupport.fakeHost(kernels: ["6.1.0-1-cloud-amd64"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        try GuestTestSupport.write("k", to: root + "/boot/vmlinuz-6.1.0-2-cloud-amd64")
        let error = #expect(throws: GuestError.self) { try host.findKernel() }
        #expect(error == .noModuleFolder(kernelVersion: "6.1.0-2-cloud-amd64",
                                         searched: [root + "/lib/modules/6.1.0-2-cloud-amd64", root + "/usr/lib/modules/6.1.0-2-cloud-amd64"]))
        #expect(error?.description.contains("linux-image-cloud-amd64") == true)
    }
}
