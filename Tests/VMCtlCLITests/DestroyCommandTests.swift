import Foundation
import Testing

/// What applying VMs with runStrategy Halted needs: QEMU installed (nothing is started) and a kernel file to name.
enum HaltedVMHost {
    static let kernel = ((try? FileManager.default.contentsOfDirectory(atPath: "/boot")) ?? []).sorted()
        .first { $0.hasPrefix("vmlinuz-") }.map { "/boot/" + $0 }
    static let ready = kernel != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/qemu-system-x86_64")
}

/// `vmctl destroy`'s plan: what it says it removes, and the limits its capacity line compares against. The VMs are
/// applied with runStrategy Halted (recorded, never booted), so nothing boots.
@Suite("vmctl destroy's plan", .enabled(if: HaltedVMHost.ready, "needs qemu-system-x86_64 and a kernel in /boot"))
struct DestroyCommandTests {
    static let kernel = HaltedVMHost.kernel

    static let manifest = """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: tidy}
        host: {cpus: 1, memory: 1GiB}
        volumes:
          data: {size: 1MiB}
        vms:
          a: {cpus: 1, memory: 128MiB, runStrategy: Halted, kernel: {image: \(kernel ?? "")}, disks: [{volume: data}]}
          b: {cpus: 1, memory: 128MiB, runStrategy: Halted, kernel: {image: \(kernel ?? "")}}

        """

    /// Applies the stack; returns its capacity line.
    func apply(_ state: FakeStateFolder) throws -> String {
        let file = try state.write(Self.manifest, to: "tidy.yaml")
        let apply = try state.vmctl("apply", "--auto-approve", file)
        #expect(apply.status == 0, "apply: \(apply.stdout)\(apply.stderr)")
        return try #require(Self.capacity(apply.stdout), "\(apply.stdout)")
    }

    static func capacity(_ output: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix("Capacity: ") }.map(String.init)
    }

    @Test("the plan says destroy removes each resource (not --prune), and keeps volumes unless --volumes")
    func reasons() throws {
        let state = try FakeStateFolder()
        _ = try apply(state)
        let destroy = try state.vmctl("destroy", "--stack", "tidy", "--auto-approve")
        #expect(destroy.status == 0, "\(destroy.stdout)\(destroy.stderr)")
        #expect(destroy.stdout.contains("""
              - vm.a: delete (impact: destroy)
                  vmctl destroy removes it and its files (an image VM's root disk too); its volumes are kept
            """), "\(destroy.stdout)")
        #expect(destroy.stdout.contains("  volume.data: kept with its data (vmctl destroy --volumes deletes it)"), "\(destroy.stdout)")
        #expect(!destroy.stdout.contains("--prune"), "destroy's plan speaks of apply's flags: \(destroy.stdout)")
        #expect(!destroy.stdout.contains("not in the manifest"), "\(destroy.stdout)")

        let again = try apply(state)
        #expect(again.hasPrefix("Capacity: "))
        let volumes = try state.vmctl("destroy", "--stack", "tidy", "--auto-approve", "--volumes")
        #expect(volumes.status == 0, "\(volumes.stdout)\(volumes.stderr)")
        #expect(volumes.stdout.contains("""
              - volume.data: delete (impact: data-loss)
                  vmctl destroy --volumes deletes it and its data
            """), "\(volumes.stdout)")
        #expect(volumes.stdout.contains("vmctl destroy removes it and its files (an image VM's root disk too)\n"), "\(volumes.stdout)")
        #expect(!volumes.stdout.contains("--prune"), "\(volumes.stdout)")
    }

    @Test("the capacity line compares against the limits the stack was applied with (host.memory), not the host's RAM")
    func capacityLimits() throws {
        let state = try FakeStateFolder()
        let applied = try apply(state)
        #expect(applied.hasSuffix("of 1GiB"), "\(applied)")
        let destroy = try state.vmctl("destroy", "--stack", "tidy", "--auto-approve")
        #expect(destroy.status == 0, "\(destroy.stdout)\(destroy.stderr)")
        #expect(Self.capacity(destroy.stdout) == applied, "\(destroy.stdout)")
        #expect(!destroy.stdout.contains("Capacity limits:"), "no fallback to explain: \(destroy.stdout)")
    }

    @Test("a stack applied before its limits were recorded: destroy uses this host's defaults and says so")
    func capacityFallback() throws {
        let state = try FakeStateFolder()
        _ = try apply(state)
        let record = state.dir + "/stacks/tidy/stack.json"
        #expect(FileManager.default.fileExists(atPath: record), "apply records the stack's limits in \(record)")
        try? FileManager.default.removeItem(atPath: record)
        let destroy = try state.vmctl("destroy", "--stack", "tidy", "--auto-approve")
        #expect(destroy.status == 0, "\(destroy.stdout)\(destroy.stderr)")
        #expect(destroy.stdout.contains("Capacity limits: this host's defaults ("), "\(destroy.stdout)")
        #expect(destroy.stdout.contains("\(record) is missing: the stack was applied by a vmctl that did not record its limits"), "\(destroy.stdout)")
    }
}
