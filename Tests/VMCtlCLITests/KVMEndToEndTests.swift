import Foundation
import Runtime
import Testing
import VMMControl

/// `backend: kvm` where the host or vmctl-vmm cannot run it: apply fails at once, naming why (no VM boots here).
@Suite("The kvm backend where it cannot run")
struct KVMRefusalTests {
    @Test("backend: kvm where it cannot run: apply fails at once, naming why; nothing is left running",
          .enabled(if: !KVMHost.ready, "this host runs kvm VMs: the full boot in RealVMTests checks apply instead"), .timeLimit(.minutes(1)))
    func refusedWithReason() throws {
        let env = try E2EStack(stack: "kvm", environment: KVMHost.environment)
        defer { env.tearDown() }
        let manifest = try env.write(RealVMTests.KVMEndToEndTests.stack.replacingOccurrences(of: "  chosen: {cpus: 1, memory: 128MiB}\n", with: ""))
        let started = ContinuousClock.now
        let apply = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(ContinuousClock.now - started < .seconds(10), "apply took \(ContinuousClock.now - started)")
        let output = apply.stdout + apply.stderr
        #expect(apply.status == 1, "\(output)")
        #expect(output.contains("VM 'pinned': choose backend failed: backend: kvm cannot run it on this host: "), "\(output)")
        for reason in KVMHost.obstacles { #expect(output.contains(reason), "missing '\(reason)' in: \(output)") }
        #expect(output.contains("use backend: qemu or auto"))
        #expect(env.processes().isEmpty)
    }
}

extension RealVMTests {
/// The kvm backend through the real `vmctl` and `vmctl-vmm` binaries: a full boot of the default guest, only
/// where the host has hardware KVM (kvm_intel or kvm_amd) and this vmctl-vmm says it boots guests; elsewhere
/// skipped with the reason. Nested under RealVMTests so its VMs never boot beside the QEMU tests' VMs.
@Suite("End to end: the kvm backend")
struct KVMEndToEndTests {
    static let stack = """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: kvm}
        vms:
          pinned: {cpus: 1, memory: 128MiB, backend: kvm}
          chosen: {cpus: 1, memory: 128MiB}

        """

    @Test("a stack on kvm: backend: kvm and auto both boot the default guest to its marker; status says why; console and exec (also -t) work; stop is graceful",
          .enabled(if: KVMHost.ready && KVMHost.guestFiles, Comment(rawValue: KVMHost.skipReason)), .timeLimit(.minutes(2)))
    func bootOnKVM() throws {
        let env = try E2EStack(stack: "kvm", environment: KVMHost.environment)
        defer { env.tearDown() }
        let manifest = try env.write(Self.stack)
        let apply = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(apply.status == 0, "apply: \(apply.stdout)\(apply.stderr)")
        let status = try env.vmctl("status", "-o", "json", manifest)
        let vms = try JSONDecoder().decode(KVMStatus.self, from: Data(status.stdout.utf8)).vms
        let module = KVMHost.virtualization.reason
        #expect(vms.map { "\($0.name) \($0.state) \($0.backend) \($0.backendReason)" }
            == ["chosen running kvm auto: kvm (\(module))", "pinned running kvm backend: kvm in the manifest (\(module))"])
        for vm in vms {
            #expect(try env.readyCount(vm.name) == 1, "\(vm.name): marker count in its console log")
            let vmm = env.processes(matching: env.stackFolder + "/vms/\(vm.name)/launch.json").filter { $0.argv.first?.hasSuffix("vmctl-vmm") == true }
            #expect(vmm.map(\.pid) == [vm.pid].compactMap { $0 }, "\(vm.name): vmctl-vmm processes \(vmm)")
        }
        let wide = try env.vmctl("status", "--stack", "kvm", "--wide")
        #expect(wide.stdout.contains("auto: kvm (\(module))"), "\(wide.stdout)")
        // vmctl-vmm serves console.sock and agent.sock: the serial console and the agent's port vmctl.agent.
        let console = try VMCtlProcess.run(["console", "--state-dir", env.dir, "--stack", "kvm", "pinned"],
                                           stdin: "echo CONSOLE-$((6*7))\n", env: KVMHost.environment)
        #expect(console.status == 0 && console.stdout.contains("CONSOLE-42"), "console: \(console.stdout)\(console.stderr)")
        let exec = try env.vmctl("exec", "--stack", "kvm", "pinned", "--", "sh", "-c", "echo EXEC-$((6*7)); hostname >&2; exit 3")
        #expect(exec.status == 3 && exec.stdout == "EXEC-42\n" && exec.stderr == "pinned\n", "exec: \(exec)")
        let terminal = try PTYProcess(["exec", "--state-dir", env.dir, "--stack", "kvm", "-t", "pinned", "--", "tty"])
        #expect(terminal.finish() == 0)
        #expect(terminal.text.hasPrefix("/dev/pts/"), "exec -t: \(terminal.text.debugDescription)")

        let stop = try env.vmctl("stop", "--stack", "kvm", "pinned")
        #expect(stop.status == 0 && stop.stdout == "pinned: stopped (graceful)\n", "stop: \(stop.stdout)\(stop.stderr)")
        let destroy = try env.vmctl("destroy", "--stack", "kvm", "--auto-approve")
        #expect(destroy.status == 0, "destroy: \(destroy.stdout)\(destroy.stderr)")
        #expect(env.processes().isEmpty, "processes left by destroy: \(env.processes())")
    }

    static let networked = """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: kvmnet}
        networks:
          lan: {subnet: 10.44.0.0/24}
        vms:
          a: {cpus: 1, memory: 128MiB, backend: kvm, networks: [{network: lan, ip: 10.44.0.10}]}
          b: {cpus: 1, memory: 128MiB, backend: kvm, networks: [{network: lan, ip: 10.44.0.11}]}

        """

    /// The test types into a's serial console through the control socket (console-input) and reads the answer
    /// from its console log: the path without console.sock or the agent.
    @Test("two kvm VMs on an isolated network reach each other through vmctl-vmm's virtio-net and the switch",
          .enabled(if: KVMHost.ready && KVMHost.guestFiles, Comment(rawValue: KVMHost.skipReason)), .timeLimit(.minutes(2)))
    func networkOnKVM() throws {
        let env = try E2EStack(stack: "kvmnet", environment: KVMHost.environment)
        defer { env.tearDown() }
        let manifest = try env.write(Self.networked)
        let apply = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(apply.status == 0, "apply: \(apply.stdout)\(apply.stderr)")
        let folder = env.stackFolder + "/vms/a"
        let launch = try String(contentsOfFile: folder + "/launch.json", encoding: .utf8)
        #expect(launch.contains("\"switchSocket\""), "a's launch spec has no NIC on the switch: \(launch)")
        let client = try ControlClient(path: folder + "/qmp.sock")
        _ = try client.consoleInput(Array("ping -c 1 -W 3 10.44.0.11 >/dev/null && echo NET-OK-$((6*7))\n".utf8))
        let deadline = ContinuousClock.now + .seconds(30)
        var log = ""
        while ContinuousClock.now < deadline {
            log = (try? String(contentsOfFile: folder + "/console.log", encoding: .utf8)) ?? ""
            if log.contains("NET-OK-42") { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(log.contains("NET-OK-42"), "a could not ping b; a's console ends with: \(log.suffix(800))")
        let destroy = try env.vmctl("destroy", "--stack", "kvmnet", "--auto-approve")
        #expect(destroy.status == 0, "destroy: \(destroy.stdout)\(destroy.stderr)")
        #expect(env.processes().isEmpty, "processes left by destroy: \(env.processes())")
    }
}
}

/// What the kvm tests need from the host: hardware KVM and a vmctl-vmm (beside vmctl) that boots guests.
enum KVMHost {
    static let virtualization = HostVirtualization.probe()
    static let vmm: String? = {
        let path = VMCtlProcess.binary.deletingLastPathComponent().appendingPathComponent("vmctl-vmm").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }()
    /// The kvm tests run the boot that is not verified yet on purpose (see VMMMain.capabilities): their vmctl runs
    /// get this environment, and nothing else in the test process does.
    static let environment = ["VMCTL_VMM_UNVERIFIED_BOOT": "1"]
    static let support: KVMBootSupport? = vmm.map { KVMBackend.probe($0, environment: environment) }
    static let ready = virtualization.hardwareKVM && support?.canBoot == true
    /// The default guest's inputs: the Debian cloud kernel and busybox.
    static let guestFiles = ((try? FileManager.default.contentsOfDirectory(atPath: "/boot")) ?? []).contains { $0.hasPrefix("vmlinuz-") && $0.hasSuffix("cloud-amd64") }
        && FileManager.default.isExecutableFile(atPath: "/bin/busybox")

    /// Why kvm cannot run here, as backend choice says it (empty where it can).
    static var obstacles: [String] {
        var reasons: [String] = []
        if !virtualization.hardwareKVM { reasons.append(virtualization.reason) }
        if let support, !support.canBoot { reasons.append(support.reason) }
        if vmm == nil { reasons.append("vmctl-vmm is not installed beside vmctl") }
        return reasons
    }

    static var skipReason: String {
        let why = obstacles + (guestFiles ? [] : ["no /boot/vmlinuz-*cloud-amd64 or /bin/busybox for the default guest"])
        return "needs hardware KVM and a vmctl-vmm that boots guests: " + why.joined(separator: "; ")
    }
}

/// `vmctl status -o json`, the parts these tests read.
struct KVMStatus: Decodable {
    struct VM: Decodable {
        var name: String
        var state: String
        var backend: String
        var backendReason: String
        var pid: Int32?
    }

    var vms: [VM]
}
